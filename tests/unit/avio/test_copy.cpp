// Tests for libavio/avio/copy.cpp: copying storage into a new backing store.
#include "temp_dir.hpp"

#include <avio/copy.hpp>
#include <avio/error.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Dir : hpvm_test::TempDir {
  Dir() : TempDir("test_copy") {}
};

void write_at(const fs::path& p, off_t offset, const std::string& data) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, data.data(), data.size(), offset) == static_cast<ssize_t>(data.size()));
  ::close(fd);
}

std::string contents(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint64_t allocated(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

} // namespace

TEST_CASE("copy: a sparse file keeps its data, size and holes") {
  Dir d;
  const auto src = d.path() / "src.img";
  const auto dst = d.path() / "dst.img";
  const std::uint64_t size = 64ULL << 20;
  write_at(src, 0, "head");
  write_at(src, 32 << 20, std::string(4096, 'm'));
  fs::resize_file(src, size);
  std::ofstream(dst).put('x'); // the target exists; its old contents go
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
  avio::copy_storage(
      src, dst, [&](std::uint64_t done, std::uint64_t total) { calls.emplace_back(done, total); });
  CHECK(fs::file_size(dst) == size);
  CHECK(contents(dst) == contents(src));
  CHECK(allocated(dst) < (4ULL << 20)); // not 64 MiB: the holes stayed holes
  REQUIRE(calls.size() >= 2);
  CHECK(calls.front() == std::pair<std::uint64_t, std::uint64_t>{0, size});
  CHECK(calls.back() == std::pair<std::uint64_t, std::uint64_t>{size, size});
  for (std::size_t i = 1; i < calls.size(); ++i) {
    CHECK(calls[i].first >= calls[i - 1].first);
  }
  CHECK(avio::storage_size(src) == size);
}

TEST_CASE("copy: an empty file and a file without holes") {
  Dir d;
  std::ofstream(d.path() / "empty").flush();
  std::ofstream(d.path() / "out1").flush();
  avio::copy_storage(d.path() / "empty", d.path() / "out1", nullptr);
  CHECK(fs::file_size(d.path() / "out1") == 0);
  std::string data(3 << 20, 'z');
  data[12345] = 'q';
  write_at(d.path() / "full", 0, data);
  std::ofstream(d.path() / "out2").flush();
  avio::copy_storage(d.path() / "full", d.path() / "out2", nullptr);
  CHECK(contents(d.path() / "out2") == data);
}

TEST_CASE("copy: errors name the paths") {
  Dir d;
  std::ofstream(d.path() / "src").put('x');
  CHECK_THROWS_WITH_AS(
      avio::copy_storage((d.path() / "none").string(), (d.path() / "src").string(), nullptr),
      ("Cannot copy '" + (d.path() / "none").string() + "' to '" + (d.path() / "src").string() +
       "': opening the source: No such file or directory.")
          .c_str(),
      hpvm::Error);
  CHECK_THROWS_WITH_AS(
      avio::copy_storage((d.path() / "src").string(), (d.path() / "none").string(), nullptr),
      ("Cannot copy '" + (d.path() / "src").string() + "' to '" + (d.path() / "none").string() +
       "': opening the target: No such file or directory.")
          .c_str(),
      hpvm::Error);
  CHECK_THROWS_AS(avio::storage_size(d.path().string()), hpvm::Error);
}
