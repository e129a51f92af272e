// SPDX-License-Identifier: Apache-2.0
// Event-loop lag while `audit verify` runs over a large audit log (issue 10, target p99 <= 50 ms).
//
// Builds an inventory with N audit records (default 1,000,000; real hash chain and MACs, written
// in one transaction straight into SQLite so the set-up takes seconds, not one fsync per record),
// then runs a full verification twice against one io_context with a 1 ms ticker on it:
//   on-loop:   verifyAudit() called on the loop thread (how benchd did it before);
//   worker:    verifyAudit() on the StoreWorker's read-only connection, result posted back.
// Each tick records how late it fired (its overshoot past the 1 ms it asked for); the figures are
// p50 / p99 / max of those overshoots while the verification runs.
//
// Usage: audit_verify_loop_bench [records]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <sqlite3.h>
#include <stdlib.h>

#include "store/audit_chain.hpp"
#include "store/store.hpp"
#include "store/store_worker.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace asio = boost::asio;

const pb::Bytes kKey(32, 0x42);

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "audit_verify_loop_bench: %s\n", what.c_str());
    std::exit(1);
  }
}

// Appends `count` records after whatever the log holds, in one transaction, with the store's
// own sealing (same canonical form, hash chain and MAC as SqliteStore::appendAudit).
void bulkAppend(const std::string& dbPath, long count) {
  sqlite3* db = nullptr;
  check(sqlite3_open(dbPath.c_str(), &db) == SQLITE_OK, "open for the bulk fill");
  check(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK, "begin");
  pb::AuditRecord previous;
  bool havePrevious = false;
  {
    sqlite3_stmt* last = nullptr;
    sqlite3_prepare_v2(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", -1, &last,
                       nullptr);
    if (sqlite3_step(last) == SQLITE_ROW) {
      previous.seq = sqlite3_column_int64(last, 0);
      previous.hash = reinterpret_cast<const char*>(sqlite3_column_text(last, 1));
      havePrevious = true;
    }
    sqlite3_finalize(last);
  }
  sqlite3_stmt* ins = nullptr;
  check(sqlite3_prepare_v2(db,
                           "INSERT INTO audit (seq, time, actor, action, device_id, session_id, "
                           "state_before, state_after, reason, policy_hash, details, prev_hash, "
                           "hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &ins, nullptr) == SQLITE_OK,
        "prepare insert");
  auto text = [&](int i, const std::string& s) {
    sqlite3_bind_text(ins, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  };
  for (long i = 0; i < count; ++i) {
    pb::AuditRecord r;
    r.seq = havePrevious ? previous.seq + 1 : 1;
    r.time = 1'780'000'000 + i / 10;
    r.actor = "session:s-" + std::to_string(100000 + i / 6);
    r.action = "admission.identified";
    r.deviceId = "dev-" + std::to_string(100000 + i % 5000);
    r.sessionId = "s-" + std::to_string(100000 + i / 6);
    r.before = "discovered";
    r.after = "identified";
    r.policyHash = std::string(64, 'c');
    r.details = {{"source", "192.0.2.10:4431"}, {"slot", "slot-3"}};
    check(pb::sealAuditRecord(r, havePrevious ? &previous : nullptr, kKey).ok(), "seal record");
    sqlite3_bind_int64(ins, 1, r.seq);
    sqlite3_bind_int64(ins, 2, r.time);
    text(3, r.actor);
    text(4, r.action);
    text(5, r.deviceId);
    text(6, r.sessionId);
    text(7, r.before);
    text(8, r.after);
    text(9, r.reason);
    text(10, r.policyHash);
    text(11, pb::canonicalAuditDetails(r.details));
    text(12, r.prevHash);
    text(13, r.hash);
    text(14, r.mac);
    check(sqlite3_step(ins) == SQLITE_DONE, "insert");
    sqlite3_reset(ins);
    previous = std::move(r);
    havePrevious = true;
  }
  sqlite3_finalize(ins);
  check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK, "commit");
  sqlite3_close(db);
}

struct Lag {
  std::vector<double> ms;
  double verifyMs = 0;
  long records = 0;
};

// Ticks every 1 ms on `io` and records each tick's overshoot until `done` and 20 more ms.
class Ticker {
 public:
  Ticker(asio::io_context& io, const bool& done, std::vector<double>& out)
      : timer_(io), done_(done), out_(out) {}
  void start() { arm(); }

 private:
  void arm() {
    due_ = Clock::now() + std::chrono::milliseconds(1);
    timer_.expires_at(due_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      out_.push_back(std::chrono::duration<double, std::milli>(Clock::now() - due_).count());
      if (done_ && ++after_ >= 20) return;
      arm();
    });
  }
  asio::steady_timer timer_;
  const bool& done_;
  std::vector<double>& out_;
  Clock::time_point due_;
  int after_ = 0;
};

// Starts the verification 20 ms after the ticker, so both runs see the loop before and after it.
// With `workerStore` the verification runs on a StoreWorker over it; without, on the loop.
Lag measure(pb::Store& loopStore, std::unique_ptr<pb::Store> workerStore) {
  asio::io_context io(1);
  std::unique_ptr<pb::StoreWorker> worker;  // joined before `io` goes away
  if (workerStore)
    worker = std::make_unique<pb::StoreWorker>(io.get_executor(), std::move(workerStore));
  Lag lag;
  bool done = false;
  Ticker ticker(io, done, lag.ms);
  ticker.start();
  asio::steady_timer kick(io, std::chrono::milliseconds(20));
  Clock::time_point began;
  auto finished = [&](const pb::Result<pb::AuditVerifyReport>& r) {
    check(r.ok() && r->ok, "verification failed");
    lag.verifyMs = std::chrono::duration<double, std::milli>(Clock::now() - began).count();
    lag.records = r->records;
    done = true;
  };
  kick.async_wait([&](const boost::system::error_code&) {
    began = Clock::now();
    if (worker) {
      worker->run<pb::AuditVerifyReport>([](pb::Store& s) { return s.verifyAudit(); }, finished);
    } else {
      finished(loopStore.verifyAudit());  // on the loop thread, as benchd did before
    }
  });
  io.run();
  return lag;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void report(const char* name, const Lag& l) {
  std::printf(
      "%-8s  verify %8.0f ms  %7ld records  ticks %6zu  lag p50 %8.2f ms  p99 %8.2f ms  "
      "max %8.2f ms\n",
      name, l.verifyMs, l.records, l.ms.size(), percentile(l.ms, 0.50), percentile(l.ms, 0.99),
      percentile(l.ms, 1.0));
}

}  // namespace

int main(int argc, char** argv) {
  const long records = argc > 1 ? std::atol(argv[1]) : 1'000'000;
  check(records > 0, "records must be positive");
  char tmpl[] = "/tmp/pb-verify-bench-XXXXXX";
  check(::mkdtemp(tmpl) != nullptr, "mkdtemp");
  const std::string dir = tmpl;
  const std::string db = dir + "/inventory.db";
  pb::FixedClock clock(1'780'000'000);
  {
    auto created = pb::Store::open(db, kKey, clock);  // schema and migrations
    check(created.ok(), created.ok() ? "" : created.error().message);
  }
  auto fillStart = Clock::now();
  bulkAppend(db, records);
  std::printf("filled %ld audit records in %.1f s (%s)\n", records,
              std::chrono::duration<double>(Clock::now() - fillStart).count(), db.c_str());

  auto store = pb::Store::open(db, kKey, clock);
  check(store.ok(), store.ok() ? "" : store.error().message);

  Lag onLoop = measure(**store, nullptr);
  auto ro = pb::Store::openReadOnly(db, kKey, clock);
  check(ro.ok(), ro.ok() ? "" : ro.error().message);
  Lag offLoop = measure(**store, std::move(ro).value());
  report("on-loop", onLoop);
  report("worker", offLoop);
  store->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
