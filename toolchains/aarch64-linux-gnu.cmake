# Cross-compiling for 64-bit ARM Linux with Debian's g++-aarch64-linux-gnu.
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake \
#         -DEDGEFORMER_SYSROOT=/path/to/arm64-root -DEDGEFORMER_BUILD_CONVERTER=OFF ...
# EDGEFORMER_SYSROOT holds the target's libraries that Debian cannot install side by side with the host's
# (pthreadpool: `apt-get download libpthreadpool-dev:arm64 libpthreadpool0:arm64` + `dpkg -x`);
# scripts/cross-test.sh aarch64 prepares it.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

set(EDGEFORMER_SYSROOT "" CACHE PATH "Extra root with the target's libraries (usr/lib/aarch64-linux-gnu)")
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu ${EDGEFORMER_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # flatc runs on the host
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)    # every library must be built for the target
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)    # header-only FlatBuffers comes from the host
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Libraries of the extra root find each other through RPATH (RUNPATH is not used for transitive ones).
add_link_options(-Wl,--disable-new-dtags)
# Binaries run through qemu-user (binfmt is not registered on Debian by default).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
