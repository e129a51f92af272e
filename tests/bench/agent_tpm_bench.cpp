// SPDX-License-Identifier: Apache-2.0
// Agent side of figure 3: per simulated device, the TPM time of the attestation exchange as the
// agent reports it (tpm_ms), per step, and the agent's own overhead around it (wall time of
// AttestResponder::handle minus TPM time; the baseline is the TPM time measured in the same run).
// Each device is a fresh provisioned swtpm. Usage: agent_tpm_bench [devices] (default 10).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "agent/attest_responder.hpp"
#include "core/files.hpp"
#include "sim/swtpm_device.hpp"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Step {
  double wallMs = 0, tpmMs = 0;
};

Step timed(pb::AttestResponder& r, const json& frame, json& reply) {
  const auto t0 = Clock::now();
  auto out = r.respond(frame);
  const auto t1 = Clock::now();
  if (!out.ok()) {
    std::fprintf(stderr, "agent_tpm_bench: %s\n", out.error().message.c_str());
    std::exit(1);
  }
  reply = *out;
  return {std::chrono::duration<double, std::milli>(t1 - t0).count(), reply.value("tpm_ms", 0.0)};
}

json challenge(const std::string& dir, const json& keys) {
  pb::Bytes ak = *pb::fromHex(keys["ak_pub"].get<std::string>());
  pb::Bytes name = {0x00, 0x0B};
  pb::Bytes h = pb::sha256(pb::Bytes(ak.begin() + 2, ak.end()));
  name.insert(name.end(), h.begin(), h.end());
  pb::Bytes ek = *pb::fromHex(keys["ek_pub"].get<std::string>());
  std::ofstream(dir + "/ek.pub", std::ios::binary)
      .write(reinterpret_cast<const char*>(ek.data()), static_cast<std::streamsize>(ek.size()));
  std::ofstream(dir + "/secret") << "0123456789abcdef0123456789abcdef";
  const std::string cmd = "tpm2_makecredential -T none -u " + dir + "/ek.pub -s " + dir +
                          "/secret -n " + pb::toHex(name) + " -o " + dir + "/cred >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) std::exit(1);
  std::ifstream f(dir + "/cred", std::ios::binary);
  pb::Bytes cred((std::istreambuf_iterator<char>(f)), {});
  const std::size_t idLen = 2 + (std::size_t{cred[8]} << 8 | cred[9]);
  const auto split = cred.begin() + 8 + static_cast<std::ptrdiff_t>(idLen);
  json c = json::object();
  c["type"] = "attest_challenge";
  c["credential_blob"] = pb::toHex(pb::Bytes(cred.begin() + 8, split));
  c["encrypted_secret"] = pb::toHex(pb::Bytes(split, cred.end()));
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const int devices = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
  std::string tmpl = (std::filesystem::temp_directory_path() / "pb-agent-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return 1;
  auto trusted = pb::ManufacturerCa::create("bench manufacturer");
  auto untrusted = pb::ManufacturerCa::create("untrusted");
  if (!trusted.ok() || !untrusted.ok()) return 1;

  for (pb::KeyAlgorithm ekAlg : {pb::KeyAlgorithm::EccP256, pb::KeyAlgorithm::Rsa2048}) {
    std::vector<Step> start, act, quote;
    for (int i = 0; i < devices; ++i) {
      const std::string dir =
          tmpl + "/" + std::string(pb::keyAlgorithmName(ekAlg)) + "-" + std::to_string(i);
      if (!pb::makeDirs(dir + "/tpm", 0700).ok()) return 1;
      pb::SimTpmSpec spec;
      spec.ekAlgorithm = ekAlg;
      for (unsigned p = 0; p < 8; ++p) spec.extends.push_back({p, pb::sha256("event")});
      auto sim = pb::provisionSimTpm(dir + "/tpm", spec, **trusted, **untrusted);
      if (!sim.ok()) return 1;
      std::ofstream(dir + "/log") << std::string(40000, 'x');  // a typical log's size
      pb::AttestResponderOptions o;
      o.tcti = sim->process->tcti();
      o.eventLogPath = dir + "/log";
      pb::AttestResponder r(o);
      json keys, activated, q;
      json s = json::object();
      s["type"] = "attest_start";
      s["ak_algorithm"] = "ecc_nist_p256";
      s["pcr_bank"] = "sha256";
      s["pcrs"] = json::array({0, 1, 2, 3, 4, 5, 6, 7});
      start.push_back(timed(r, s, keys));
      act.push_back(timed(r, challenge(dir, keys), activated));
      json qr = s;
      qr.erase("ak_algorithm");
      qr["type"] = "quote_request";
      qr["nonce"] = pb::toHex(pb::randomBytes(32));
      qr["sign_challenge"] = pb::toHex(pb::randomBytes(32));
      quote.push_back(timed(r, qr, q));
    }
    auto mean = [](const std::vector<Step>& v, double Step::*f) {
      double sum = 0;
      for (const auto& s : v) sum += s.*f;
      return sum / static_cast<double>(v.size());
    };
    std::printf("EK %s, AK ecc_nist_p256, %d swtpm devices (mean per device, ms):\n",
                std::string(pb::keyAlgorithmName(ekAlg)).c_str(), devices);
    double tpmTotal = 0, wallTotal = 0;
    for (const auto& [name, v] :
         {std::pair{"attest_start", &start}, std::pair{"attest_challenge", &act},
          std::pair{"quote_request", &quote}}) {
      const double t = mean(*v, &Step::tpmMs), w = mean(*v, &Step::wallMs);
      tpmTotal += t;
      wallTotal += w;
      std::printf("  %-17s TPM %8.2f  agent wall %8.2f  overhead %6.2f\n", name, t, w, w - t);
    }
    std::printf("  %-17s TPM %8.2f  agent wall %8.2f  ratio wall/TPM %.2f\n", "total", tpmTotal,
                wallTotal, wallTotal / tpmTotal);
  }
  std::filesystem::remove_all(tmpl);
  return 0;
}
