# Cross-compiling for 32-bit ARMv7 Linux (hard float) with Debian's g++-arm-linux-gnueabihf.
#   cmake -S . -B build-armv7 -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-linux-gnueabihf.cmake \
#         -DEDGEFORMER_SYSROOT=/path/to/armhf-root ...
# The code is built for Debian's armhf baseline (ARMv7-A, VFPv3-D16, Thumb-2) so that it runs on every ARMv7 board;
# the NEON kernels are compiled for NEON + VFPv4 alone and picked at run time (kernels/CMakeLists.txt).
# EDGEFORMER_SYSROOT holds pthreadpool for armhf (`apt-get download libpthreadpool-dev:armhf libpthreadpool0:armhf`
# + `dpkg -x`); scripts/cross-test.sh armv7 prepares it.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7-a)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
# GCC notes on every std::pair<uint64_t, ...> argument that its passing changed in GCC 7.1: nothing here is linked
# against code built before that.
set(CMAKE_CXX_FLAGS_INIT -Wno-psabi)

set(EDGEFORMER_SYSROOT "" CACHE PATH "Extra root with the target's libraries (usr/lib/arm-linux-gnueabihf)")
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf ${EDGEFORMER_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # flatc runs on the host
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)    # every library must be built for the target
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)    # header-only FlatBuffers comes from the host
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
add_link_options(-Wl,--disable-new-dtags)
# Binaries run through qemu-user; QEMU_CPU picks the core (e.g. cortex-a7: NEON + VFPv4).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm -L /usr/arm-linux-gnueabihf)
