# Warnings every target of ours builds with; the build stays warning-clean.
add_library(hpvm_warnings INTERFACE)
target_compile_options(hpvm_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
  $<$<BOOL:${HPVM_WERROR}>:-Werror>)
option(HPVM_WERROR "Treat warnings as errors" OFF)
