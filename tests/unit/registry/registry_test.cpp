// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "registry/registry_import.hpp"

namespace pb {
namespace {

constexpr const char* kHeader =
    "serial,smbios_uuid,model,owner,owner_email,tenant,ek_sha256,window_from,window_until\n";
constexpr const char* kUuidA = "4c4c4544-0031-3410-8033-b2c04f4e3232";
constexpr const char* kUuidB = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
const std::string kEk(64, 'a');

std::int64_t at(const char* text) {
  std::int64_t t = 0;
  EXPECT_TRUE(parseUtc(text, t)) << text;
  return t;
}

const std::int64_t kNow = at("2026-06-01");

RegistryParse csv(const std::string& text) {
  return parseRegistry(text, RegistryFormat::Csv, kNow);
}
RegistryParse yaml(const std::string& text) {
  return parseRegistry(text, RegistryFormat::Yaml, kNow);
}

std::string row(const std::string& serial, const std::string& uuid = kUuidA,
                const std::string& email = "alice@example.org", const std::string& ek = "",
                const std::string& from = "2026-01-01", const std::string& until = "2027-01-01") {
  return serial + "," + uuid + ",Latitude 7440,Alice," + email + ",lab," + ek + "," + from + "," +
         until + "\n";
}

std::string dump(const RegistryParse& p) {
  std::string s;
  for (const auto& e : p.errors) {
    s += std::to_string(e.line) + ":" + e.field + ": " + e.message + "\n";
  }
  return s;
}

// Expects exactly one error, at `line` on `field`, whose message contains `needle`.
void expectOneError(const RegistryParse& p, int line, const std::string& field,
                    const std::string& needle) {
  ASSERT_EQ(p.errors.size(), 1u) << dump(p);
  EXPECT_EQ(p.errors[0].line, line) << dump(p);
  EXPECT_EQ(p.errors[0].field, field) << dump(p);
  EXPECT_NE(p.errors[0].message.find(needle), std::string::npos) << dump(p);
  EXPECT_TRUE(p.rows.empty()) << "rows must not be returned alongside errors";
}

// ---------------- CSV ----------------

TEST(RegistryCsv, ParsesValidRowsAndNormalises) {
  auto p = csv(std::string(kHeader) +
               "SN-1001,{4C4C4544-0031-3410-8033-B2C04F4E3232},Latitude 7440,Alice,"
               "alice@example.org,lab," +
               std::string(64, 'A') + ",2026-01-01,2027-01-01T12:00:00Z\n" +
               row("SN-1002", kUuidB, "bob@example.org"));
  ASSERT_TRUE(p.errors.empty()) << dump(p);
  ASSERT_EQ(p.rows.size(), 2u);
  const auto& r = p.rows[0];
  EXPECT_EQ(r.serial, "SN-1001");
  EXPECT_EQ(r.smbiosUuid, kUuidA);
  EXPECT_EQ(r.model, "Latitude 7440");
  EXPECT_EQ(r.owner, "Alice");
  EXPECT_EQ(r.ownerEmail, "alice@example.org");
  EXPECT_EQ(r.tenant, "lab");
  EXPECT_EQ(r.ekSha256, std::string(64, 'a'));
  EXPECT_EQ(r.windowFrom, at("2026-01-01"));
  EXPECT_EQ(r.windowUntil, at("2027-01-01T12:00:00Z"));
  EXPECT_EQ(r.line, 2);
  EXPECT_EQ(p.rows[1].line, 3);
  EXPECT_EQ(p.rows[1].ekSha256, "");
  EXPECT_TRUE(p.warnings.empty());
}

TEST(RegistryCsv, AnyColumnOrderOptionalEkAndCaseInsensitiveHeader) {
  auto p =
      csv(" Window_Until , window_from,tenant,owner_email,owner,model,SMBIOS_UUID,serial\n"
          "2027-01-01,2026-01-01,lab,a@example.org,Alice,M1," +
          std::string(kUuidA) + ",SN-1\n");
  ASSERT_TRUE(p.errors.empty()) << dump(p);
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].serial, "SN-1");
  EXPECT_EQ(p.rows[0].tenant, "lab");
}

TEST(RegistryCsv, QuotedCommasEscapedQuotesAndTrimmedValues) {
  auto p = csv(std::string(kHeader) + "  SN-1 ,\"" + kUuidA +
               "\",\"Latitude 7440, rev \"\"B\"\"\",\"Doe, Jane\",jane@example.org,lab, ,"
               "2026-01-01,2027-01-01\n");
  ASSERT_TRUE(p.errors.empty()) << dump(p);
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].serial, "SN-1");
  EXPECT_EQ(p.rows[0].model, "Latitude 7440, rev \"B\"");
  EXPECT_EQ(p.rows[0].owner, "Doe, Jane");
  EXPECT_EQ(p.rows[0].ekSha256, "");
}

TEST(RegistryCsv, AcceptsBomCrlfAndNoFinalNewline) {
  std::string text = "\xEF\xBB\xBF" + std::string(kHeader) + row("SN-1") + row("SN-2", kUuidB);
  std::string crlf;
  for (char c : text) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  crlf.pop_back();  // no final line break
  crlf.pop_back();
  auto p = csv(crlf);
  ASSERT_TRUE(p.errors.empty()) << dump(p);
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[1].line, 3);
  EXPECT_EQ(p.rows[1].windowUntil, at("2027-01-01"));
}

TEST(RegistryCsv, BlankLinesAreSkippedButCounted) {
  auto p = csv(std::string(kHeader) + "\n" + row("SN-1") + "   \n" + row("bad serial\x01", kUuidB));
  ASSERT_EQ(p.errors.size(), 1u) << dump(p);
  EXPECT_EQ(p.errors[0].line, 5);
  EXPECT_EQ(p.errors[0].field, "serial");
}

TEST(RegistryCsv, QuotedLineBreakAdvancesLineNumbers) {
  // The model on line 2 spans two physical lines; the next record starts on line 4.
  auto p = csv(std::string(kHeader) + "SN-1," + kUuidA +
               ",\"two\nlines\",Alice,a@example.org,lab,,2026-01-01,2027-01-01\n" +
               row("0000000", kUuidB));
  ASSERT_EQ(p.errors.size(), 2u) << dump(p);
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_EQ(p.errors[0].field, "model");
  EXPECT_NE(p.errors[0].message.find("control"), std::string::npos);
  EXPECT_EQ(p.errors[1].line, 4);
  EXPECT_EQ(p.errors[1].field, "serial");
}

TEST(RegistryCsv, MissingRequiredColumnIsAnErrorOnLine1) {
  auto p =
      csv("serial,smbios_uuid,model,owner,owner_email,window_from,window_until\n" + row("SN-1"));
  expectOneError(p, 1, "tenant", "missing required column 'tenant'");
}

TEST(RegistryCsv, UnknownAndDuplicateColumns) {
  auto p = csv(
      "serial,smbios_uuid,model,owner,owner_email,tenant,window_from,window_until,colour,serial\n");
  ASSERT_EQ(p.errors.size(), 2u) << dump(p);
  EXPECT_EQ(p.errors[0].line, 1);
  EXPECT_EQ(p.errors[0].field, "colour");
  EXPECT_NE(p.errors[0].message.find("unknown column"), std::string::npos);
  EXPECT_EQ(p.errors[1].field, "serial");
  EXPECT_NE(p.errors[1].message.find("twice"), std::string::npos);
}

TEST(RegistryCsv, EmptyFileNeedsAHeader) {
  expectOneError(csv(""), 1, "", "header");
  expectOneError(csv("\xEF\xBB\xBF\r\n\n"), 1, "", "header");
}

TEST(RegistryCsv, WrongFieldCount) {
  auto p = csv(std::string(kHeader) + row("SN-1") + "SN-2,only,three\n");
  expectOneError(p, 3, "", "3 fields but the header has 9");
}

TEST(RegistryCsv, UnterminatedQuoteNamesTheOpeningLine) {
  auto p = csv(std::string(kHeader) + row("SN-1") + "SN-2,\"" + kUuidB + ",M\n" + row("SN-3"));
  expectOneError(p, 3, "", "opened on line 3 is never closed");
}

TEST(RegistryCsv, QuoteInsideUnquotedFieldAndTextAfterClosingQuote) {
  auto p = csv(std::string(kHeader) + "SN\"1," + kUuidA +
               ",M,O,o@example.org,t,,2026-01-01,2027-01-01\n" + "\"SN-2\"x," + kUuidB +
               ",M,O,o@example.org,t,,2026-01-01,2027-01-01\n" + row("SN-3", kUuidB));
  ASSERT_EQ(p.errors.size(), 2u) << dump(p);
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_NE(p.errors[0].message.find("quote inside an unquoted field"), std::string::npos);
  EXPECT_EQ(p.errors[1].line, 3);
  EXPECT_NE(p.errors[1].message.find("after a closing quote"), std::string::npos);
}

// ---------------- row validation (CSV carries most of it; YAML shares the code) ----------------

TEST(RegistryValidation, RequiredFieldsMustBeNonEmpty) {
  auto p = csv(std::string(kHeader) + ",,,,,,,,\n");
  ASSERT_EQ(p.errors.size(), 8u) << dump(p);
  const char* fields[] = {"serial",      "smbios_uuid", "model",       "owner",
                          "owner_email", "tenant",      "window_from", "window_until"};
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(p.errors[i].line, 2);
    EXPECT_EQ(p.errors[i].field, fields[i]);
    EXPECT_NE(p.errors[i].message.find("required"), std::string::npos) << dump(p);
  }
}

TEST(RegistryValidation, LengthLimits) {
  std::string ok128(128, 'm');
  std::string long129(129, 'm');
  auto good = csv(std::string(kHeader) + "SN-1," + kUuidA + "," + ok128 + "," + ok128 +
                  ",a@example.org," + ok128 + ",,2026-01-01,2027-01-01\n");
  EXPECT_TRUE(good.errors.empty()) << dump(good);
  auto bad = csv(std::string(kHeader) + "S" + long129 + "," + kUuidA + "," + long129 + "," +
                 long129 + ",a@example.org," + long129 + ",,2026-01-01,2027-01-01\n");
  ASSERT_EQ(bad.errors.size(), 4u) << dump(bad);
  for (const auto& e : bad.errors) {
    EXPECT_EQ(e.line, 2);
    EXPECT_NE(e.message.find("longer than 128"), std::string::npos);
  }
}

TEST(RegistryValidation, ControlCharactersAndInvalidUtf8) {
  auto p = csv(std::string(kHeader) + "SN-1," + kUuidA +
               ",Mod\x7f"
               "el,J\xC3\xBCrgen,a@example.org,ten\xFF,,2026-01-01,2027-01-01\n" +
               "SN-2," + kUuidB + ",M,\xE2\x80\xAE" +
               "evil,b@example.org,t,,2026-01-01,2027-01-01\n" + "S\xC3\xBC," +
               "11111111-2222-3333-4444-555555555555,M,O,c@example.org,t,,2026-01-01,"
               "2027-01-01\n");
  ASSERT_EQ(p.errors.size(), 4u) << dump(p);
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_EQ(p.errors[0].field, "model");
  EXPECT_EQ(p.errors[1].line, 2);
  EXPECT_EQ(p.errors[1].field, "tenant");  // owner "Jürgen" is fine UTF-8
  EXPECT_EQ(p.errors[2].line, 3);
  EXPECT_EQ(p.errors[2].field, "owner");  // U+202E right-to-left override
  EXPECT_EQ(p.errors[3].line, 4);
  EXPECT_EQ(p.errors[3].field, "serial");
  EXPECT_NE(p.errors[3].message.find("ASCII"), std::string::npos);
}

TEST(RegistryValidation, BogusSerialsAndUuids) {
  auto p = csv(std::string(kHeader) + row("To Be Filled By O.E.M.") +
               row("SN-3", "00000000-0000-0000-0000-000000000000") + row("SN-4", "not-a-uuid") +
               row("SN-5", "03000200-0400-0500-0006-000700080009") + row("XXXXXXXX", kUuidB));
  ASSERT_EQ(p.errors.size(), 5u) << dump(p);
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_EQ(p.errors[0].field, "serial");
  EXPECT_NE(p.errors[0].message.find("placeholder"), std::string::npos);
  EXPECT_EQ(p.errors[1].line, 3);
  EXPECT_EQ(p.errors[1].field, "smbios_uuid");
  EXPECT_NE(p.errors[1].message.find("firmware default"), std::string::npos);
  EXPECT_EQ(p.errors[2].line, 4);
  EXPECT_NE(p.errors[2].message.find("not a UUID"), std::string::npos);
  EXPECT_EQ(p.errors[3].line, 5);
  EXPECT_EQ(p.errors[4].line, 6);
  EXPECT_EQ(p.errors[4].field, "serial");
}

TEST(RegistryValidation, Email) {
  auto p = csv(std::string(kHeader) + row("SN-1", kUuidA, "noat") +
               row("SN-2", kUuidB, "two@@example.org") +
               row("SN-3", "11111111-2222-3333-4444-555555555555", "nodot@localhost") +
               row("SN-4", "11111111-2222-3333-4444-666666666666", "ok@example.org"));
  ASSERT_EQ(p.errors.size(), 3u) << dump(p);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(p.errors[static_cast<std::size_t>(i)].line, i + 2);
    EXPECT_EQ(p.errors[static_cast<std::size_t>(i)].field, "owner_email");
  }
}

TEST(RegistryValidation, EkSha256) {
  auto p = csv(std::string(kHeader) + row("SN-1", kUuidA, "a@example.org", std::string(63, 'a')) +
               row("SN-2", kUuidB, "a@example.org", std::string(63, 'a') + "g") +
               row("SN-3", "11111111-2222-3333-4444-555555555555", "a@example.org", kEk));
  ASSERT_EQ(p.errors.size(), 2u) << dump(p);
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_EQ(p.errors[0].field, "ek_sha256");
  EXPECT_EQ(p.errors[1].line, 3);
}

TEST(RegistryValidation, Windows) {
  auto p = csv(std::string(kHeader) + row("SN-1", kUuidA, "a@example.org", "", "2026-02-30") +
               row("SN-2", kUuidB, "a@example.org", "", "2026-01-01", "tomorrow") +
               row("SN-3", "11111111-2222-3333-4444-555555555555", "a@example.org", "",
                   "2026-03-01", "2026-03-01"));
  ASSERT_EQ(p.errors.size(), 3u) << dump(p);
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_EQ(p.errors[0].field, "window_from");
  EXPECT_NE(p.errors[0].message.find("not a UTC date"), std::string::npos);
  EXPECT_EQ(p.errors[1].line, 3);
  EXPECT_EQ(p.errors[1].field, "window_until");
  EXPECT_EQ(p.errors[2].line, 4);
  EXPECT_EQ(p.errors[2].field, "window_until");
  EXPECT_NE(p.errors[2].message.find("must be after window_from"), std::string::npos);
}

TEST(RegistryValidation, DuplicatesNameTheEarlierLine) {
  auto p = csv(std::string(kHeader) + row("SN-1", kUuidA) + row("SN-2", kUuidB) +
               row("sn-1", "11111111-2222-3333-4444-555555555555") +
               row("SN-4", "{9B1DEB4D-3B7D-4BAD-9BDD-2B0D7B3DCB6D}"));
  ASSERT_EQ(p.errors.size(), 2u) << dump(p);
  EXPECT_EQ(p.errors[0].line, 4);
  EXPECT_EQ(p.errors[0].field, "serial");
  EXPECT_NE(p.errors[0].message.find("already appears on line 2"), std::string::npos);
  EXPECT_EQ(p.errors[1].line, 5);
  EXPECT_EQ(p.errors[1].field, "smbios_uuid");
  EXPECT_NE(p.errors[1].message.find("already appears on line 3"), std::string::npos);
}

TEST(RegistryValidation, EveryErrorOfEveryLineInOneRun) {
  auto p = csv(std::string(kHeader) + row("None") + row("SN-2", kUuidB) +
               row("SN-3", "bad", "nope") + "x,y\n");
  ASSERT_EQ(p.errors.size(), 4u) << dump(p);
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_EQ(p.errors[1].line, 4);
  EXPECT_EQ(p.errors[2].line, 4);
  EXPECT_EQ(p.errors[3].line, 5);
  EXPECT_TRUE(p.rows.empty());
}

TEST(RegistryValidation, ClosedWindowIsAWarningNotAnError) {
  auto p = csv(std::string(kHeader) +
               row("SN-1", kUuidA, "a@example.org", "", "2025-01-01", "2026-01-01"));
  ASSERT_TRUE(p.errors.empty()) << dump(p);
  ASSERT_EQ(p.rows.size(), 1u);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0].line, 2);
  EXPECT_EQ(p.warnings[0].field, "window_until");
}

TEST(RegistryValidation, ValidateRowRejectsUnnormalisedRows) {
  RegistryRow r;
  r.serial = "SN-1";
  r.smbiosUuid = kUuidA;
  r.model = "M";
  r.owner = "O";
  r.ownerEmail = "o@example.org";
  r.tenant = "t";
  r.windowFrom = 1;
  r.windowUntil = 2;
  r.line = 7;
  EXPECT_TRUE(validateRegistryRow(r).empty());
  r.smbiosUuid = "4C4C4544-0031-3410-8033-B2C04F4E3232";  // upper case is not canonical
  r.ekSha256 = std::string(64, 'A');
  r.serial = " SN-1";
  auto errors = validateRegistryRow(r);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].field, "serial");
  EXPECT_EQ(errors[0].line, 7);
  EXPECT_EQ(errors[1].field, "smbios_uuid");
  EXPECT_EQ(errors[2].field, "ek_sha256");
}

// ---------------- bounds ----------------

TEST(RegistryBounds, OversizeInputIsOneError) {
  std::string big(kMaxRegistryBytes + 1, 'x');
  for (auto format : {RegistryFormat::Csv, RegistryFormat::Yaml}) {
    auto p = parseRegistry(big, format, kNow);
    expectOneError(p, 0, "", "larger than 16 MiB");
  }
}

TEST(RegistryBounds, TooManyRowsIsOneError) {
  std::string text(kHeader);
  for (std::size_t i = 0; i < kMaxRegistryRows + 5; ++i) text += "x\n";
  expectOneError(csv(text), static_cast<int>(kMaxRegistryRows) + 2, "", "more than 100000 rows");

  std::string y;
  for (std::size_t i = 0; i < kMaxRegistryRows + 1; ++i) y += "- x\n";
  expectOneError(yaml(y), static_cast<int>(kMaxRegistryRows) + 1, "", "more than 100000 rows");
}

// ---------------- YAML ----------------

constexpr const char* kYamlDevice =
    "- serial: SN-1001\n"                                    // 1
    "  smbios_uuid: 4C4C4544-0031-3410-8033-B2C04F4E3232\n"  // 2
    "  model: Latitude 7440\n"                               // 3
    "  owner: Alice\n"                                       // 4
    "  owner_email: alice@example.org\n"                     // 5
    "  tenant: lab\n"                                        // 6
    "  window_from: 2026-01-01\n"                            // 7
    "  window_until: \"2027-01-01T00:00:00Z\"\n";            // 8

TEST(RegistryYaml, ParsesATopLevelSequence) {
  auto p =
      yaml(std::string(kYamlDevice) + "- {serial: '0042', smbios_uuid: " + kUuidB +
           ", model: M, owner: Bob, owner_email: bob@example.org, tenant: lab, ek_sha256: " + kEk +
           ", window_from: 2026-01-01, window_until: 2027-01-01}\n");
  ASSERT_TRUE(p.errors.empty()) << dump(p);
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0].serial, "SN-1001");
  EXPECT_EQ(p.rows[0].smbiosUuid, kUuidA);
  EXPECT_EQ(p.rows[0].windowUntil, at("2027-01-01"));
  EXPECT_EQ(p.rows[0].line, 1);
  EXPECT_EQ(p.rows[1].serial, "0042");  // stays a string: no numeric conversion
  EXPECT_EQ(p.rows[1].ekSha256, kEk);
  EXPECT_EQ(p.rows[1].line, 9);
}

TEST(RegistryYaml, ParsesADevicesMappingWithBomAndCrlf) {
  std::string text = "\xEF\xBB\xBF# register\r\ndevices:\r\n";
  for (char c : std::string(kYamlDevice)) {
    if (c == '\n') text += '\r';
    text += c;
  }
  auto p = yaml(text);
  ASSERT_TRUE(p.errors.empty()) << dump(p);
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].line, 3);
  EXPECT_TRUE(yaml("devices: []\n").errors.empty());
  EXPECT_TRUE(yaml("devices:\n").errors.empty());
}

TEST(RegistryYaml, UnknownKeyIsReportedOnItsLine) {
  auto p = yaml(std::string(kYamlDevice) + "  colour: blue\n");
  expectOneError(p, 9, "colour", "unknown key 'colour'");
}

TEST(RegistryYaml, FieldErrorsPointAtTheValueLine) {
  std::string text = kYamlDevice;
  text.replace(text.find("alice@example.org"), 17, "alice-at-example");
  text.replace(text.find("2026-01-01"), 10, "2026-13-01");
  auto p = yaml(text);
  ASSERT_EQ(p.errors.size(), 2u) << dump(p);
  EXPECT_EQ(p.errors[0].line, 5);
  EXPECT_EQ(p.errors[0].field, "owner_email");
  EXPECT_EQ(p.errors[1].line, 7);
  EXPECT_EQ(p.errors[1].field, "window_from");
}

TEST(RegistryYaml, MissingKeyIsRequiredOnTheDeviceLine) {
  std::string text = "- owner: x\n" + std::string(kYamlDevice);
  text.erase(text.find("  tenant: lab\n"), 14);
  auto p = yaml(text);
  // Device 1 (line 1) misses nearly everything; device 2 (line 2) misses tenant only.
  ASSERT_FALSE(p.errors.empty());
  EXPECT_EQ(p.errors.front().line, 1);
  EXPECT_EQ(p.errors.back().line, 2);
  EXPECT_EQ(p.errors.back().field, "tenant");
  EXPECT_NE(p.errors.back().message.find("required"), std::string::npos);
}

TEST(RegistryYaml, DuplicateKeyAndNonScalarValue) {
  auto p = yaml(std::string(kYamlDevice) + "  serial: again\n" + "  ek_sha256: [a, b]\n");
  ASSERT_EQ(p.errors.size(), 2u) << dump(p);
  EXPECT_EQ(p.errors[0].line, 9);
  EXPECT_NE(p.errors[0].message.find("duplicate key 'serial' (first at line 1"), std::string::npos);
  EXPECT_EQ(p.errors[1].line, 10);
  EXPECT_EQ(p.errors[1].field, "ek_sha256");
}

TEST(RegistryYaml, DuplicateSerialAcrossDevices) {
  std::string second = kYamlDevice;
  second.replace(second.find("4C4C4544-0031-3410-8033-B2C04F4E3232"), 36, kUuidB);
  auto p = yaml(std::string(kYamlDevice) + second);
  expectOneError(p, 9, "serial", "already appears on line 1");
}

TEST(RegistryYaml, StructuralErrors) {
  expectOneError(yaml("- serial: [unclosed\n"), 2, "", "YAML syntax error");
  expectOneError(yaml(""), 1, "", "empty");
  expectOneError(yaml("just a string\n"), 1, "", "expected a list of devices");
  expectOneError(yaml("- 42\n"), 1, "", "must be a mapping");
  expectOneError(yaml("devices: []\nextra: 1\n"), 2, "extra", "unknown top-level key");
  expectOneError(yaml("device: []\n"), 1, "device", "unknown top-level key");
  expectOneError(yaml("- {}\n---\n- {}\n"), 2, "", "only one YAML document");
  // yaml-cpp 0.7's LoadAll never returns on a stray top-level comma (fuzzer finding): the
  // parser must stop with one error.
  expectOneError(yaml(",miobD"), 1, "", "");
  // Aliases would let one entry stand for another; the shared YAML layer refuses them.
  auto alias = yaml("- &a {serial: x}\n- *a\n");
  ASSERT_GE(alias.errors.size(), 2u);
  EXPECT_EQ(alias.errors.front().line, 1);
  EXPECT_NE(alias.errors.front().message.find("anchors"), std::string::npos);
  EXPECT_NE(dump(alias).find("2:: aliases"), std::string::npos) << dump(alias);
  // Deep nesting is refused by yaml-cpp's depth guard, never a crash.
  auto deep = yaml(std::string(5000, '[') + std::string(5000, ']'));
  EXPECT_FALSE(deep.errors.empty());
}

// ---------------- helpers shared with admission ----------------

TEST(RegistryHelpers, FormatForFile) {
  EXPECT_EQ(registryFormatForFile("/tmp/reg.csv"), RegistryFormat::Csv);
  EXPECT_EQ(registryFormatForFile("REG.CSV"), RegistryFormat::Csv);
  EXPECT_EQ(registryFormatForFile("a/b.yaml"), RegistryFormat::Yaml);
  EXPECT_EQ(registryFormatForFile("b.YML"), RegistryFormat::Yaml);
  EXPECT_FALSE(registryFormatForFile("reg.json").has_value());
  EXPECT_FALSE(registryFormatForFile("csv").has_value());
  EXPECT_FALSE(registryFormatForFile(".csv").has_value());
  EXPECT_FALSE(registryFormatForFile("dir.csv/file").has_value());
}

TEST(RegistryHelpers, CanonicalUuid) {
  EXPECT_EQ(canonicalUuid("4C4C4544-0031-3410-8033-B2C04F4E3232"), kUuidA);
  EXPECT_EQ(canonicalUuid(" {4c4c4544-0031-3410-8033-b2c04f4e3232} "), kUuidA);
  EXPECT_FALSE(canonicalUuid("4c4c454400313410 8033b2c04f4e3232").has_value());
  EXPECT_FALSE(canonicalUuid("4c4c45440031341080 33b2c04f4e3232").has_value());
  EXPECT_FALSE(canonicalUuid("{4c4c4544-0031-3410-8033-b2c04f4e3232").has_value());
  EXPECT_FALSE(canonicalUuid("4c4c4544-0031-3410-8033-b2c04f4e323g").has_value());
  EXPECT_FALSE(canonicalUuid("4c4c4544_0031-3410-8033-b2c04f4e3232").has_value());
  EXPECT_FALSE(canonicalUuid("").has_value());
}

TEST(RegistryHelpers, BogusSerial) {
  for (const char* s : {"", "   ", "To Be Filled By O.E.M.", "to be filled by oem",
                        "Default string", "0123456789", "System Serial Number", "Not Specified",
                        "None", "N/A", "0", "00000000", "XXXXXXXX", "xxXX", " none "}) {
    EXPECT_TRUE(isBogusSerial(s)) << "'" << s << "'";
  }
  for (const char* s : {"SN-1001", "5CG1234XYZ", "0000001", "PF3ABCDE"}) {
    EXPECT_FALSE(isBogusSerial(s)) << s;
  }
}

TEST(RegistryHelpers, BogusUuid) {
  for (const char* u :
       {"00000000-0000-0000-0000-000000000000", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
        "03000200-0400-0500-0006-000700080009", "12345678-1234-5678-90AB-CDDEEFAABBCC",
        "{ffffffff-ffff-ffff-ffff-ffffffffffff}", "garbage"}) {
    EXPECT_TRUE(isBogusUuid(u)) << u;
  }
  EXPECT_FALSE(isBogusUuid(kUuidA));
  EXPECT_FALSE(isBogusUuid(kUuidB));
}

}  // namespace
}  // namespace pb

namespace pb {
namespace {

// An EK names one TPM: the same ek_sha256 on two rows is an error on the later row, in either
// case, naming the first; rows without an EK never clash.
TEST(RegistryValidation, DuplicateEkNamesTheEarlierLine) {
  const std::string upper(64, 'A');
  auto p = csv(std::string(kHeader) + row("PF1", kUuidA, "alice@example.org", kEk) +
               row("PF2", kUuidB, "alice@example.org", upper) +
               row("PF3", "0b6f1c2e-4d5a-4e3b-9c8d-7a6b5c4d3e2f") +
               row("PF4", "1c7a2d3f-5e6b-4f4c-8d9e-8b7c6d5e4f30"));
  ASSERT_EQ(p.errors.size(), 1u) << dump(p);
  EXPECT_EQ(p.errors[0].line, 3);
  EXPECT_EQ(p.errors[0].field, "ek_sha256");
  EXPECT_NE(p.errors[0].message.find("already appears on line 2"), std::string::npos)
      << p.errors[0].message;
}

}  // namespace
}  // namespace pb
