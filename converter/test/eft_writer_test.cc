// The .eft writer never leaves half a model: a conversion that fails while reading, while writing (the file size
// limit is hit), at the final rename or for want of a folder keeps the old output and removes its .partial file.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "checkpoint_files.h"
#include "conversion_errors.h"
#include "convert_error.h"
#include "families/llama/llama2c_reader.h"
#include "families/llama/llama_graph.h"
#include "graph/eft_writer.h"
#include "stories260k_variants.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST_F(Stories260kVariants, FailedConversionLeavesTheOutputUntouched) {
  const std::string output = tmp_.file("out.eft");
  std::ofstream(output) << "old model";
  // Fails while reading: the output is never opened.
  const std::string missing = write_folder("missing-norm", "F32", [](std::vector<NamedTensor>& t, json&) {
    t.erase(std::remove_if(t.begin(), t.end(), [](const NamedTensor& x) { return x.name == "model.norm.weight"; }), t.end());
  });
  expect_convert_error([&] { convert_hf(missing, output); }, {"model.norm.weight"});
  EXPECT_EQ(read_text(output), "old model");
  EXPECT_FALSE(fs::exists(output + ".partial"));

  // Fails in the middle of writing (the file size limit is hit): the partial file is removed, the output kept.
  converter::Graph graph = converter::build_llama_graph(
      converter::read_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin"), {});
  {
    struct rlimit saved {};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    const auto previous = ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = saved;
    small.rlim_cur = 64 * 1024;  // the f32 model is ~1 MB
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    bool threw = false;
    std::string message;
    try {
      converter::write_eft(graph, output);
    } catch (const converter::ConvertError& e) {
      threw = true;
      message = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &saved);
    ::signal(SIGXFSZ, previous);
    EXPECT_TRUE(threw);
    EXPECT_NE(message.find("out.eft.partial"), std::string::npos) << message;
    EXPECT_NE(message.find("write failed"), std::string::npos) << message;
  }
  EXPECT_EQ(read_text(output), "old model");
  EXPECT_FALSE(fs::exists(output + ".partial"));

  // Fails at the final rename (the output path is a folder): nothing left behind, the folder intact.
  const std::string folder_output = tmp_.file("taken.eft");
  fs::create_directories(folder_output + "/inside");
  expect_convert_error([&] { converter::write_eft(graph, folder_output); }, {"taken.eft", "cannot rename"});
  EXPECT_TRUE(fs::is_directory(folder_output + "/inside"));
  EXPECT_FALSE(fs::exists(folder_output + ".partial"));

  // The folder of the output does not exist.
  expect_convert_error([&] { converter::write_eft(graph, tmp_.file("no/such/folder/m.eft")); },
                       {"no/such/folder/m.eft.partial", "cannot create"});
  EXPECT_FALSE(fs::exists(tmp_.file("no/such/folder/m.eft.partial")));

  // A good write replaces the old file whole and leaves no .partial behind.
  const uint64_t written = converter::write_eft(graph, output);
  EXPECT_FALSE(fs::exists(output + ".partial"));
  EXPECT_EQ(fs::file_size(output), written);
  EXPECT_EQ(open_or_fail(output)->info().params, kStoriesParams);
}

}  // namespace
}  // namespace edgeformer::testing
