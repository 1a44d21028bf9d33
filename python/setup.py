"""Builds the native module with the repository's CMake (the same library the CLI links) and packages it."""
import os
import pathlib
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent


class CMakeBuild(build_ext):
    def build_extension(self, extension):
        build = pathlib.Path(self.build_temp).resolve() / "cmake"
        subprocess.run(["cmake", "-S", str(REPOSITORY), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
                        "-DEDGEFORMER_BUILD_TESTS=OFF", "-DEDGEFORMER_BUILD_BENCH=OFF",
                        "-DEDGEFORMER_BUILD_PYTHON=ON", f"-DPython3_EXECUTABLE={sys.executable}"], check=True)
        subprocess.run(["cmake", "--build", str(build), "--target", "_edgeformer", "-j", str(os.cpu_count() or 1)],
                       check=True)
        built = next((build / "python" / "edgeformer").glob("_edgeformer*.so"))
        target = pathlib.Path(self.get_ext_fullpath(extension.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(built, target)


setup(ext_modules=[Extension("edgeformer._edgeformer", sources=[])], cmdclass={"build_ext": CMakeBuild})
