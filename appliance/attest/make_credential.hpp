// SPDX-License-Identifier: Apache-2.0
// Software TPM2_MakeCredential (TPM 2.0 Part 1 §24, reference TPM SecretToCredential): encrypts a
// credential to an EK so that only the TPM holding that EK, with the object of the given Name
// loaded, can recover it with ActivateCredential. Uses the EK's nameAlg and symmetric definition.
#pragma once

#include "attest/tpm_types.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pb::attest {

struct Credential {
  Bytes idObject;         // TPM2B_ID_OBJECT (with its size prefix)
  Bytes encryptedSecret;  // TPM2B_ENCRYPTED_SECRET (with its size prefix)
  // tpm2-tools credential file: 0xBADCC0DE, version 1, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET.
  [[nodiscard]] Bytes toTpm2ToolsFile() const;
};

// credential: at most the digest size of the EK nameAlg. objectName: the AK Name (§2).
// The EK must be a restricted decryption key with AES-CFB symmetric parameters.
Result<Credential> makeCredential(const TpmPublic& ek, const Bytes& objectName,
                                  const Bytes& credential);

}  // namespace pb::attest
