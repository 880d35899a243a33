# -DHPVM_FUZZ=ON builds the libFuzzer targets of tests/fuzz (scripts/fuzz):
# clang only, with everything instrumented for coverage and under ASan and
# UBSan. Only the fuzz targets are meant to be built in such a tree.
option(HPVM_FUZZ "Build the libFuzzer targets in tests/fuzz (needs clang)" OFF)
if(HPVM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "HPVM_FUZZ needs clang: configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  set(HPVM_SANITIZE ON)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# -DHPVM_SANITIZE=ON builds everything with AddressSanitizer and
# UndefinedBehaviorSanitizer; CI runs the whole test suite that way too.
option(HPVM_SANITIZE "Build with ASan and UBSan" OFF)
if(HPVM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
