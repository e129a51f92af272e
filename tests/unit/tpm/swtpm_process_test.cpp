// SPDX-License-Identifier: Apache-2.0
#include <csignal>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "swtpm_fixture.hpp"

namespace pb::test {
namespace {

bool canConnect(std::uint16_t port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

TEST(SwtpmProcess, StartsOnFreePortsAndStopsOnTeardown) {
  TempDir dir;
  SwtpmOptions o;
  o.stateDir = dir.path();
  auto s = SwtpmProcess::start(o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  const std::uint16_t port = (*s)->port();
  const pid_t pid = (*s)->pid();
  EXPECT_EQ((*s)->ctrlPort(), port + 1);
  EXPECT_EQ((*s)->tcti(), "swtpm:host=127.0.0.1,port=" + std::to_string(port));
  EXPECT_TRUE(canConnect(port));
  EXPECT_TRUE(canConnect((*s)->ctrlPort()));
  s->reset();
  EXPECT_FALSE(canConnect(port));
  EXPECT_NE(::kill(pid, 0), 0);  // reaped, gone
}

TEST(SwtpmProcess, TwoInstancesGetDifferentPorts) {
  TempDir a, b;
  SwtpmOptions oa, ob;
  oa.stateDir = a.path();
  ob.stateDir = b.path();
  auto sa = SwtpmProcess::start(oa);
  auto sb = SwtpmProcess::start(ob);
  ASSERT_TRUE(sa.ok() && sb.ok());
  EXPECT_NE((*sa)->port(), (*sb)->port());
}

TEST(SwtpmProcess, MissingStateDirIsAnError) {
  SwtpmOptions o;
  EXPECT_FALSE(SwtpmProcess::start(o).ok());
  o.stateDir = "/nonexistent/pb-swtpm-state";
  o.maxAttempts = 2;
  auto s = SwtpmProcess::start(o);
  EXPECT_FALSE(s.ok());
}

TEST(SwtpmProcess, MissingBinaryIsAnError) {
  TempDir dir;
  SwtpmOptions o;
  o.stateDir = dir.path();
  o.swtpmPath = "/nonexistent/swtpm";
  auto s = SwtpmProcess::start(o);
  ASSERT_FALSE(s.ok());
}

}  // namespace
}  // namespace pb::test
