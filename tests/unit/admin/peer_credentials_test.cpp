// SPDX-License-Identifier: Apache-2.0
#include "admin/peer_credentials.hpp"

#include <algorithm>
#include <memory>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_support.hpp"

namespace pb {
namespace {

using test::FakeGroupDirectory;

constexpr gid_t kAdminGid = 2001;
constexpr gid_t kReadonlyGid = 2002;
constexpr gid_t kOtherGid = 2003;

std::shared_ptr<FakeGroupDirectory> directory() {
  auto d = std::make_shared<FakeGroupDirectory>();
  d->groups = {{"bench-admin", kAdminGid}, {"bench-read", kReadonlyGid}, {"users", kOtherGid}};
  d->members = {{1000, {kOtherGid, kAdminGid}},
                {1001, {kOtherGid, kReadonlyGid}},
                {1002, {kOtherGid}},
                {1003, {kReadonlyGid, kAdminGid}}};
  return d;
}

AccessControl control(std::shared_ptr<FakeGroupDirectory> d = directory()) {
  auto ac = AccessControl::create({"bench-admin", "bench-read"}, std::move(d));
  if (!ac) throw std::runtime_error(ac.error().message);
  return std::move(*ac);
}

TEST(PeerCredentials, ReportsTheConnectedProcess) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  auto cred = peerCredentials(fds[0]);
  close(fds[0]);
  close(fds[1]);
  ASSERT_TRUE(cred.ok()) << cred.error().message;
  EXPECT_EQ(cred->uid, getuid());
  EXPECT_EQ(cred->gid, getgid());
  EXPECT_EQ(cred->pid, getpid());
}

TEST(PeerCredentials, FailsOnSomethingThatIsNotASocket) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  auto cred = peerCredentials(fds[0]);
  close(fds[0]);
  close(fds[1]);
  EXPECT_FALSE(cred.ok());
}

TEST(AccessControl, RootIsAdminWithoutAnyGroup) {
  EXPECT_EQ(control().roleFor(0, 0), Role::Admin);
}

TEST(AccessControl, SupplementaryAdminGroupMemberIsAdmin) {
  EXPECT_EQ(control().roleFor(1000, kOtherGid), Role::Admin);
}

TEST(AccessControl, PeerGidInAdminGroupIsAdmin) {
  // Not in the directory at all, but the kernel says the process runs with the admin gid.
  EXPECT_EQ(control().roleFor(5000, kAdminGid), Role::Admin);
}

TEST(AccessControl, ReadonlyGroupMemberIsReadOnly) {
  EXPECT_EQ(control().roleFor(1001, kOtherGid), Role::ReadOnly);
}

TEST(AccessControl, MemberOfBothGroupsIsAdmin) {
  EXPECT_EQ(control().roleFor(1003, kReadonlyGid), Role::Admin);
}

TEST(AccessControl, StrangerHasNoRole) {
  EXPECT_EQ(control().roleFor(1002, kOtherGid), Role::None);
  EXPECT_EQ(control().roleFor(65534, 65534), Role::None);
}

TEST(AccessControl, DirectoryFailureFailsClosed) {
  auto d = directory();
  d->failMembership = true;
  auto ac = control(d);
  EXPECT_EQ(ac.roleFor(1000, kOtherGid), Role::None);  // supplementary admin group unreadable
  EXPECT_EQ(ac.roleFor(1000, kReadonlyGid), Role::ReadOnly);  // the kernel's gid still counts
}

TEST(AccessControl, UnknownAdminGroupIsAStartupError) {
  auto ac = AccessControl::create({"bench-admins", "bench-read"}, directory());
  ASSERT_FALSE(ac.ok());
  EXPECT_NE(ac.error().message.find("bench-admins"), std::string::npos);
}

TEST(AccessControl, UnknownReadonlyGroupIsAStartupError) {
  auto ac = AccessControl::create({"bench-admin", "nope"}, directory());
  ASSERT_FALSE(ac.ok());
  EXPECT_NE(ac.error().message.find("nope"), std::string::npos);
}

TEST(AccessControl, EmptyGroupNamesGrantNothingButRoot) {
  auto ac = AccessControl::create({"", ""}, directory());
  ASSERT_TRUE(ac.ok());
  EXPECT_EQ(ac->roleFor(1000, kAdminGid), Role::None);
  EXPECT_EQ(ac->roleFor(0, 0), Role::Admin);
}

TEST(SystemGroupDirectory, ResolvesRealGroups) {
  SystemGroupDirectory dir;
  auto root = dir.gidForGroup("root");
  ASSERT_TRUE(root.ok());
  ASSERT_TRUE(root->has_value());
  EXPECT_EQ(**root, 0u);
  auto missing = dir.gidForGroup("pb-no-such-group-xyz");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(SystemGroupDirectory, ListsGroupsOfAUid) {
  SystemGroupDirectory dir;
  auto rootGroups = dir.groupsForUid(0);
  ASSERT_TRUE(rootGroups.ok());
  EXPECT_NE(std::find(rootGroups->begin(), rootGroups->end(), 0u), rootGroups->end());
  auto none = dir.groupsForUid(3999999);  // no passwd entry
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(SystemGroupDirectory, UnknownConfiguredGroupStopsStartup) {
  auto ac =
      AccessControl::create({"pb-no-such-group-xyz", ""}, std::make_shared<SystemGroupDirectory>());
  EXPECT_FALSE(ac.ok());
}

}  // namespace
}  // namespace pb
