// SPDX-License-Identifier: Apache-2.0
#include "agent/facts_collector.hpp"

#include <algorithm>

#include "amt/amt_client.hpp"
#include "sysfs/firmware_facts.hpp"
#include "sysfs/identity_reader.hpp"

namespace pb {

AmtAccess amtAccessFor(const Error& e) {
  if (e.code == mei_error::kNoDevice) return AmtAccess::NoMeiDevice;
  if (e.code == mei_error::kNoAmtClient) return AmtAccess::NoAmtClient;
  if (e.code == mei_error::kBusy) return AmtAccess::Busy;
  if (e.code == mei_error::kDisabled || e.code == amthi::error::kEmpty) return AmtAccess::Disabled;
  return AmtAccess::Error;
}

const char* amtAccessName(AmtAccess a) {
  switch (a) {
    case AmtAccess::Ok:
      return "ok";
    case AmtAccess::NoMeiDevice:
      return "no_mei_device";
    case AmtAccess::NoAmtClient:
      return "no_amt_client";
    case AmtAccess::Busy:
      return "busy";
    case AmtAccess::Disabled:
      return "disabled";
    case AmtAccess::Error:
      return "error";
  }
  return "error";
}

namespace {

// Transport-level outcomes end the collection: the remaining commands would only repeat them
// (and a busy client would be retried with backoff for each).
bool stopsCollection(const Error& e) {
  const AmtAccess a = amtAccessFor(e);
  return a != AmtAccess::Error || e.code == mei_error::kTimeout;
}

int majorOf(const std::string& version) {
  int major = 0;
  for (char c : version) {
    if (c < '0' || c > '9') break;
    major = major * 10 + (c - '0');
    if (major > 1000) break;
  }
  return major;
}

std::string macText(const std::array<std::uint8_t, 6>& mac) {
  std::string out;
  for (std::size_t i = 0; i < mac.size(); ++i) {
    if (i != 0) out += ':';
    out += toHex(&mac[i], 1);
  }
  return out;
}

class Collector {
 public:
  Collector(AmtTransport& t, std::chrono::milliseconds timeout) : client_(t, timeout) {}

  AmtFacts run() {
    auto cv = client_.getCodeVersions();
    if (ok(cv, "GetCodeVersions")) {
      f_.amtVersion = cv->find("AMT");
      f_.buildNumber = cv->find("Build Number");
      f_.sku = cv->find("Sku");
    }
    if (stopped_) return finish();
    // Unknown version: read algorithm byte 3 as every AMT since 6 means it.
    const int parsedMajor = majorOf(f_.amtVersion);
    const int amtMajor = parsedMajor == 0 ? 6 : parsedMajor;

    if (auto v = client_.getProvisioningState(); ok(v, "GetProvisioningState")) {
      static const char* kNames[] = {"pre", "in", "post"};
      f_.provisioningState = kNames[static_cast<int>(*v)];
    }
    if (stopped_) return finish();
    if (auto v = client_.getControlMode(); ok(v, "GetControlMode")) {
      static const char* kNames[] = {"none", "client", "acm", "remote_assistance"};
      f_.controlMode = kNames[static_cast<int>(*v)];
    }
    if (stopped_) return finish();
    if (auto v = client_.getUuid(); ok(v, "GetUUID")) f_.uuid = amthi::formatUuid(*v);
    if (stopped_) return finish();
    if (auto v = client_.getDnsSuffix(); ok(v, "GetDnsSuffix")) f_.dnsSuffix = *v;
    if (stopped_) return finish();
    if (auto handles = client_.enumerateHashHandles(); ok(handles, "EnumerateHashHandles")) {
      for (auto h : *handles) {
        auto e = client_.getCertificateHashEntry(h, amtMajor);
        if (!ok(e, "GetCertificateHashEntry")) {
          if (stopped_) return finish();
          continue;
        }
        f_.hashes.push_back(AmtHashEntry{e->name, amthi::hashAlgorithmName(e->algorithm, amtMajor),
                                         toHex(e->hash), e->isDefault, e->isActive});
      }
    }
    if (stopped_) return finish();
    if (auto v = client_.getZeroTouchEnabled(); ok(v, "GetZeroTouchEnabled")) {
      f_.remoteConfigurationEnabled = *v;
    }
    if (stopped_) return finish();
    if (auto v = client_.getConfigServerData(); ok(v, "GetConfigServerData")) {
      f_.configServerAddress = v->address;
      f_.configServerPort = v->port;
      f_.configServerFqdn = v->fqdn;
    }
    if (stopped_) return finish();
    if (auto v = client_.getSecurityParameters(); ok(v, "GetSecurityParameters")) {
      f_.tlsEnabled = v->tlsEnabled;
    }
    if (stopped_) return finish();
    if (auto v = client_.getRedirectionState(); ok(v, "GetRedirectionState")) {
      f_.solEnabled = v->sol;
      f_.iderEnabled = v->ider;
      f_.kvmEnabled = v->kvm;
    }
    if (stopped_) return finish();
    if (auto v = client_.getLanInterfaceSettings(0); ok(v, "GetLANInterfaceSettings")) {
      f_.lanMac = macText(v->mac);
      f_.dhcpEnabled = v->dhcpEnabled;
    }
    return finish();
  }

 private:
  template <class T>
  bool ok(const Result<T>& r, const char* command) {
    if (r.ok()) return true;
    const Error& e = r.error();
    if (!failure_) failure_ = amtAccessFor(e);
    if (f_.failedCommands.empty() || f_.failedCommands.back() != command) {
      f_.failedCommands.emplace_back(command);
    }
    if (!f_.accessDetail.empty()) f_.accessDetail += "; ";
    f_.accessDetail += std::string(command) + " failed (" + e.code + "): " + e.message;
    if (stopsCollection(e)) stopped_ = true;
    return false;
  }

  AmtFacts finish() {
    f_.access = failure_.value_or(AmtAccess::Ok);
    return std::move(f_);
  }

  AmtClient client_;
  AmtFacts f_;
  std::optional<AmtAccess> failure_;
  bool stopped_ = false;
};

}  // namespace

AmtFacts collectAmtFacts(AmtTransport& transport, std::chrono::milliseconds timeout) {
  return Collector(transport, timeout).run();
}

DeviceFacts collectFacts(const std::string& root, AmtTransport* amt,
                         std::chrono::milliseconds amtTimeout) {
  DeviceFacts d;
  if (auto id = readIdentityFacts(root); id.ok()) d.identity = std::move(*id);
  d.firmware = readFirmwareFacts(root);
  if (amt != nullptr) d.amt = collectAmtFacts(*amt, amtTimeout);
  return d;
}

}  // namespace pb
