// SPDX-License-Identifier: Apache-2.0
// The benchctl binary end to end against an in-process AdminServer: exit codes, the file upload
// of `registry import`, --json, and the unreachable-socket message.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin/admin_server.hpp"
#include "core/reasons.hpp"
#include "test_support.hpp"

extern char** environ;

namespace pb {
namespace {

using nlohmann::json;

struct ProcessResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};

std::string drain(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return s;
}

ProcessResult benchctl(std::vector<std::string> args) {
  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  args.insert(args.begin(), PB_BENCHCTL_PATH);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, PB_BENCHCTL_PATH, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  ::close(err[1]);
  ProcessResult r;
  if (rc != 0) return r;
  // Outputs are small (well under a pipe buffer), so draining one after the other cannot block.
  r.out = drain(out[0]);
  r.err = drain(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class BenchctlMainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<AdminServer>(
        io_.get_executor(), socket(), std::make_shared<test::FixedRole>(Role::Admin), handler_);
    auto st = server_->start();
    ASSERT_TRUE(st.ok()) << st.error().message;
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
  }
  std::string socket() const { return dir_.path() + "/admin.sock"; }

  test::AdminTempDir dir_;
  boost::asio::io_context io_;
  std::thread thread_;
  test::FakeHandler handler_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(BenchctlMainTest, SuccessExitsZeroAndRenders) {
  handler_.respond("audit.verify",
                   okResponse({{"ok", true}, {"records", 5}, {"head_hash", "abcd"}}));
  ProcessResult r = benchctl({"--socket", socket(), "audit", "verify"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("intact: 5 records"), std::string::npos) << r.out;
}

TEST_F(BenchctlMainTest, BrokenAuditChainExitsOne) {
  handler_.respond("audit.verify", okResponse({{"ok", false},
                                               {"records", 5},
                                               {"first_bad_seq", 3},
                                               {"problem", "record 3 was edited"}}));
  ProcessResult r = benchctl({"--socket", socket(), "audit", "verify"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.out.find("BROKEN at record 3"), std::string::npos) << r.out;
}

TEST_F(BenchctlMainTest, RefusalExitsOneWithCodeOnStderr) {
  handler_.respond("block", errorResponse(reason::kAdminNotFound, "no device with id \"dev-9\""));
  ProcessResult r = benchctl({"--socket", socket(), "block", "dev-9", "--reason", "x"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("PB-9503"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(BenchctlMainTest, JsonPrintsTheRawResult) {
  ProcessResult r = benchctl({"--socket", socket(), "--json", "device", "show", "dev-000001"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  json j = json::parse(r.out, nullptr, false);
  EXPECT_EQ(j["echo"], "device.show") << r.out;
  EXPECT_EQ(j["args"]["id"], "dev-000001");
}

TEST_F(BenchctlMainTest, DevicesArePagedAndJsonIsOneArray) {
  json page = okResponse(json::array({{{"id", "dev-000001"}}, {{"id", "dev-000002"}}}));
  page["next"] = nullptr;
  handler_.respond("devices", page);
  ProcessResult r = benchctl({"--socket", socket(), "--json", "devices", "--state", "ready"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  json j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << r.out;
  EXPECT_EQ(j.size(), 2u);
  auto calls = handler_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].args["state"], "ready");
  EXPECT_EQ(calls[0].args["limit"], kMaxAdminPageSize);
}

TEST_F(BenchctlMainTest, JsonErrorKeepsTheCode) {
  handler_.respond("status", errorResponse(reason::kAdminUnauthorised, "no"));
  ProcessResult r = benchctl({"--socket", socket(), "--json", "status"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(json::parse(r.out, nullptr, false)["code"], reason::kAdminUnauthorised) << r.out;
}

TEST_F(BenchctlMainTest, RegistryImportSendsTheFile) {
  std::string path = dir_.path() + "/register.csv";
  std::ofstream(path) << "serial,smbios_uuid\nSN-1,x\n";
  ProcessResult r = benchctl({"--socket", socket(), "--json", "registry", "import", path});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  auto calls = handler_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].args["file_name"], "register.csv");
  EXPECT_EQ(calls[0].args["content"], "serial,smbios_uuid\nSN-1,x\n");
}

TEST_F(BenchctlMainTest, RegistryImportErrorsAreFileLineFieldMessage) {
  json refusal =
      errorResponse(reason::kAdminBadRequest, "register.csv: 1 problem; nothing was imported");
  refusal["errors"] =
      json::array({json{{"line", 2}, {"field", "smbios_uuid"}, {"message", "not a UUID"}}});
  handler_.respond("registry.import", refusal);
  std::string path = dir_.path() + "/register.csv";
  std::ofstream(path) << "serial,smbios_uuid\nSN-1,x\n";
  ProcessResult r = benchctl({"--socket", socket(), "registry", "import", path});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find(path + ":2: smbios_uuid: not a UUID\n"), std::string::npos) << r.err;
}

TEST_F(BenchctlMainTest, MissingImportFileExitsOne) {
  ProcessResult r =
      benchctl({"--socket", socket(), "registry", "import", dir_.path() + "/nope.csv"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos) << r.err;
  EXPECT_TRUE(handler_.calls().empty());
}

TEST_F(BenchctlMainTest, UnreachableSocketExitsThree) {
  std::string missing = dir_.path() + "/missing.sock";
  ProcessResult r = benchctl({"--socket", missing, "status"});
  EXPECT_EQ(r.exitCode, 3);
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("benchd"), std::string::npos);
}

TEST_F(BenchctlMainTest, UsageErrorExitsTwo) {
  ProcessResult r = benchctl({"approve", "dev-1"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("missing --reason"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Usage:"), std::string::npos);
}

TEST_F(BenchctlMainTest, OfflineCommandsNeedNoSocket) {
  ProcessResult md = benchctl({"--socket", "/nonexistent/admin.sock", "reasons", "--markdown"});
  EXPECT_EQ(md.exitCode, 0);
  EXPECT_EQ(md.out.rfind("# provbench reason codes\n", 0), 0u);
  ProcessResult help = benchctl({"devices", "--help"});
  EXPECT_EQ(help.exitCode, 0);
  EXPECT_NE(help.out.find("--state STATE"), std::string::npos);
  ProcessResult version = benchctl({"--version"});
  EXPECT_EQ(version.exitCode, 0);
  EXPECT_EQ(version.out.rfind("benchctl ", 0), 0u);
}

// benchctl check end to end: the binary, a policy file and a facts file; the exit code is the
// verdict.
TEST_F(BenchctlMainTest, CheckEvaluatesAFactsFileOffline) {
  char tmpl[] = "/tmp/pb-benchctl-check-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string policy = dir + "/policy.yaml";
  std::ofstream(policy) << "name: trial\ntenant:\n  id: lab\n";
  // No AMT on this device, good firmware: every check passes under the built-in AMT settings.
  const std::string good = dir + "/good.json";
  std::ofstream(good) << R"({"firmware":{"secure_boot":true,"setup_mode":false,"tpm_present":true,)"
                      << R"("tpm_version":"2"},"amt":{"access":"no_amt_client"}})";
  const std::string bad = dir + "/bad.json";
  std::ofstream(bad) << R"({"firmware":{"secure_boot":false,"setup_mode":false,"tpm_present":true,)"
                     << R"("tpm_version":"2"},"amt":{"access":"no_amt_client"}})";
  ProcessResult pass = benchctl(
      {"--socket", "/nonexistent/admin.sock", "check", "--policy", policy, "--facts", good});
  EXPECT_EQ(pass.exitCode, 0) << pass.out << pass.err;
  EXPECT_NE(pass.out.find("PASSED"), std::string::npos);
  ProcessResult fail = benchctl({"check", "--policy", policy, "--facts", bad, "--json"});
  EXPECT_EQ(fail.exitCode, 1);
  EXPECT_EQ(json::parse(fail.out)["passed"], false);
  ProcessResult invalid = benchctl({"check", "--policy", policy, "--facts", dir + "/none.json"});
  EXPECT_EQ(invalid.exitCode, 4);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pb
