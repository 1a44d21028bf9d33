# Cross-compiling for Android on 64-bit ARM (arm64-v8a) with the Android NDK: a thin wrapper over the NDK's own
# toolchain file, which knows the compilers, the sysroot and the platform's libc.
#   cmake -S . -B build-android -DCMAKE_TOOLCHAIN_FILE=toolchains/android-arm64.cmake \
#         -DANDROID_NDK=$HOME/Android/Sdk/ndk/26.1.10909125 -DCMAKE_PREFIX_PATH=/path/to/pthreadpool-android \
#         -DEDGEFORMER_BUILD_CONVERTER=OFF -DEDGEFORMER_BUILD_TESTS=OFF -DEDGEFORMER_BUILD_BENCH=OFF
# The NDK has no pthreadpool: build it once with this same toolchain (its CMake supports Android) and point
# CMAKE_PREFIX_PATH at its install prefix. The runtime needs nothing else on the device (FlatBuffers is header-only,
# XNNPACK is not used by the library).
if(NOT ANDROID_NDK)
  if(DEFINED ENV{ANDROID_NDK_HOME})
    set(ANDROID_NDK "$ENV{ANDROID_NDK_HOME}")
  elseif(DEFINED ENV{ANDROID_NDK_ROOT})
    set(ANDROID_NDK "$ENV{ANDROID_NDK_ROOT}")
  endif()
endif()
if(NOT ANDROID_NDK OR NOT EXISTS "${ANDROID_NDK}/build/cmake/android.toolchain.cmake")
  message(FATAL_ERROR "android-arm64.cmake: set ANDROID_NDK (or ANDROID_NDK_HOME) to an Android NDK (r23 or later)")
endif()

set(ANDROID_ABI arm64-v8a CACHE STRING "Android ABI")
# API 24 (Android 7.0) is the oldest with getauxval(AT_HWCAP2), which the kernel dispatch reads for i8mm.
set(ANDROID_PLATFORM android-24 CACHE STRING "Minimum Android API level")
set(ANDROID_STL c++_static CACHE STRING "C++ runtime linked into the library")
include("${ANDROID_NDK}/build/cmake/android.toolchain.cmake")
# flatc (schema code generation) runs on the build machine.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
