# GoogleTest, and the function the test folders (tests/, runtime/test/, converter/test/) declare their tests with.
find_package(GTest CONFIG REQUIRED)
include(GoogleTest)

# edgeformer_test(NAME [LIBRARY ...] [PREFIX TEXT] [SOURCES FILE.cc ...]): a test executable of NAME.cc, or of
# SOURCES, linked with the shared test support (tests/test_support.h), GoogleTest's main and the LIBRARIES; ctest runs
# each of its tests, named TEXT (if given) and the GoogleTest name.
function(edgeformer_test name)
  cmake_parse_arguments(PARSE_ARGV 1 test "" "PREFIX" "SOURCES")
  if(NOT test_SOURCES)
    set(test_SOURCES ${name}.cc)
  endif()
  add_executable(${name} ${test_SOURCES})
  target_link_libraries(${name} PRIVATE edgeformer_test_support edgeformer_kernels GTest::gtest_main
    ${test_UNPARSED_ARGUMENTS})
  target_compile_definitions(${name} PRIVATE EDGEFORMER_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  set(prefix)
  if(test_PREFIX)
    set(prefix TEST_PREFIX ${test_PREFIX})
  endif()
  gtest_discover_tests(${name} ${prefix} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 600)
endfunction()
