# -DHPVM_STATIC_LIBS=ON (the default) links the C++ runtime, fmt, SQLite and
# libnl into each command. Every command is a short-lived process, and
# resolving those shared libraries' symbols at each start cost about 2 ms of
# a 3 ms `hpvmmodify --version` (bench/runtime measures a whole hot-add).
# libxml2 (with its ICU, zlib and liblzma) too, which only hpvmstatus links:
# loading those five shared libraries cost 3 ms of the 9.5 ms of
# `hpvmstatus -v` (the archives' members are only linked where referenced,
# so the other commands do not grow). glibc stays shared (NSS for user
# names). Sanitizer builds keep everything shared.
option(HPVM_STATIC_LIBS "Link libstdc++, fmt, SQLite, libnl and libxml2 statically" ON)
if(HPVM_SANITIZE)
  set(HPVM_STATIC_LIBS OFF)
endif()

add_library(hpvm_libnl INTERFACE)
if(NOT HPVM_STATIC_LIBS)
  add_library(hpvm_fmt INTERFACE)
  target_link_libraries(hpvm_fmt INTERFACE fmt::fmt)
  target_link_libraries(hpvm_libnl INTERFACE PkgConfig::LIBNL)
  return()
endif()

add_link_options(-static-libstdc++ -static-libgcc)
# Packed relative relocations (DT_RELR, glibc 2.36): the ~10,000 relocations
# of a command that carries these libraries are applied from a few hundred
# bytes instead of 250 KB of RELA entries; 0.3 ms of CPU less at each start
# (perf stat of `hpvmcreate --help`: 4.97 -> 4.61 ms, /bin/true 2.37 ms).
include(CheckLinkerFlag)
check_linker_flag(CXX "LINKER:-z,pack-relative-relocs" HPVM_LINKER_HAS_RELR)
if(HPVM_LINKER_HAS_RELR)
  add_link_options(LINKER:-z,pack-relative-relocs)
endif()
# fmt's headers, and its compiled part built from one source file of ours.
add_library(hpvm_fmt STATIC ${CMAKE_CURRENT_LIST_DIR}/fmt/format.cpp)
get_target_property(HPVM_FMT_INCLUDES fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
target_include_directories(hpvm_fmt SYSTEM PUBLIC ${HPVM_FMT_INCLUDES})

function(hpvm_static_library variable name)
  find_library(${variable} NAMES lib${name}.a)
  if(NOT ${variable})
    message(FATAL_ERROR "HPVM_STATIC_LIBS: lib${name}.a not found (install its -dev package, "
                        "or configure with -DHPVM_STATIC_LIBS=OFF)")
  endif()
endfunction()

hpvm_static_library(HPVM_SQLITE3_ARCHIVE sqlite3)
set_target_properties(SQLite::SQLite3 PROPERTIES IMPORTED_LOCATION ${HPVM_SQLITE3_ARCHIVE})
set_property(TARGET SQLite::SQLite3 APPEND PROPERTY INTERFACE_LINK_LIBRARIES m dl Threads::Threads)

hpvm_static_library(HPVM_NL_ROUTE_ARCHIVE nl-route-3)
hpvm_static_library(HPVM_NL_ARCHIVE nl-3)
target_include_directories(hpvm_libnl SYSTEM INTERFACE ${LIBNL_INCLUDE_DIRS})
target_link_libraries(hpvm_libnl INTERFACE ${HPVM_NL_ROUTE_ARCHIVE} ${HPVM_NL_ARCHIVE} Threads::Threads)

hpvm_static_library(HPVM_XML2_ARCHIVE xml2)
hpvm_static_library(HPVM_ICUI18N_ARCHIVE icui18n)
hpvm_static_library(HPVM_ICUUC_ARCHIVE icuuc)
hpvm_static_library(HPVM_ICUDATA_ARCHIVE icudata)
hpvm_static_library(HPVM_Z_ARCHIVE z)
hpvm_static_library(HPVM_LZMA_ARCHIVE lzma)
set_target_properties(LibXml2::LibXml2 PROPERTIES IMPORTED_LOCATION ${HPVM_XML2_ARCHIVE})
set_property(
  TARGET LibXml2::LibXml2
  PROPERTY INTERFACE_LINK_LIBRARIES ${HPVM_ICUI18N_ARCHIVE} ${HPVM_ICUUC_ARCHIVE}
           ${HPVM_ICUDATA_ARCHIVE} ${HPVM_Z_ARCHIVE} ${HPVM_LZMA_ARCHIVE} m dl Threads::Threads)
