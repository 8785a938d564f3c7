#include "services/common/input/input.h"

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "services/common/errors.h"

namespace accueil::input {
namespace {

// Checks that `result` failed the way every parser must: INVALID_ARGUMENT,
// the machine-readable reason and the offending field.
void ExpectInvalid(const absl::StatusOr<std::string>& result, std::string_view reason,
                   std::string_view field) {
  ASSERT_FALSE(result.ok()) << "accepted, gave: " << *result;
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(result.status()), reason);
  EXPECT_EQ(ErrorField(result.status()), field);
  EXPECT_FALSE(result.status().message().empty());
}

// Builds a string from bytes, embedded NULs included.
std::string Bytes(std::initializer_list<unsigned char> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// ------------------------------------------------------------------ Phone

constexpr char kPhoneField[] = "person.phone";

void ExpectPhone(std::string_view raw, std::string_view e164) {
  absl::StatusOr<std::string> phone = ParseMobilePhone(raw, kPhoneField);
  ASSERT_TRUE(phone.ok()) << "input: " << raw << ": " << phone.status();
  EXPECT_EQ(*phone, e164) << "input: " << raw;
}

TEST(ParseMobilePhone, FrenchMobilesInNationalFormat) {
  ExpectPhone("06 12 34 56 78", "+33612345678");
  ExpectPhone("0612345678", "+33612345678");
  ExpectPhone("06.12.34.56.78", "+33612345678");
  ExpectPhone("06-12-34-56-78", "+33612345678");
  ExpectPhone("  06 12 34 56 78  ", "+33612345678");
  ExpectPhone("07 56 12 34 56", "+33756123456");
}

TEST(ParseMobilePhone, FrenchMobilesInInternationalFormat) {
  ExpectPhone("+33 6 12 34 56 78", "+33612345678");
  ExpectPhone("+33612345678", "+33612345678");
  ExpectPhone("+33 7 56 12 34 56", "+33756123456");
  ExpectPhone("0033 6 12 34 56 78", "+33612345678");
  // People often keep the national 0 after the country code.
  ExpectPhone("+33 (0)6 12 34 56 78", "+33612345678");
}

TEST(ParseMobilePhone, ForeignMobiles) {
  ExpectPhone("+44 7400 123456", "+447400123456");     // United Kingdom
  ExpectPhone("+212 6 50 12 34 56", "+212650123456");  // Morocco
  ExpectPhone("00212 650-123456", "+212650123456");    // Morocco, 00 prefix
  ExpectPhone("+213 551 23 45 67", "+213551234567");   // Algeria
  ExpectPhone("+216 20 123 456", "+21620123456");      // Tunisia
  ExpectPhone("+49 1512 3456789", "+4915123456789");   // Germany
  ExpectPhone("+1 201-555-0123", "+12015550123");      // US: fixed line or mobile
  ExpectPhone("+262 692 12 34 56", "+262692123456");   // Reunion
  ExpectPhone("+33 6-12-34-56-78", "+33612345678");
  ExpectPhone("(06) 12 34 56 78", "+33612345678");
}

TEST(ParseMobilePhone, FullWidthDigitsAreNormalised) {
  // U+FF10..U+FF19, as typed on some Asian keyboards.
  ExpectPhone(
      "\xEF\xBC\x90\xEF\xBC\x96\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93"
      "\xEF\xBC\x94\xEF\xBC\x95\xEF\xBC\x96\xEF\xBC\x97\xEF\xBC\x98",
      "+33612345678");
}

TEST(ParseMobilePhone, ArabicIndicDigitsAreNormalised) {
  ExpectPhone(
      "\xD9\xA0\xD9\xA6\xD9\xA1\xD9\xA2\xD9\xA3\xD9\xA4\xD9\xA5\xD9\xA6"
      "\xD9\xA7\xD9\xA8",  // "٠٦١٢٣٤٥٦٧٨"
      "+33612345678");
}

TEST(ParseMobilePhone, LandlinesAreNotMobile) {
  ExpectInvalid(ParseMobilePhone("01 42 76 40 40", kPhoneField), "PHONE_NOT_MOBILE", kPhoneField);
  ExpectInvalid(ParseMobilePhone("+33 1 42 76 40 40", kPhoneField), "PHONE_NOT_MOBILE",
                kPhoneField);
  ExpectInvalid(ParseMobilePhone("04 91 15 60 00", kPhoneField), "PHONE_NOT_MOBILE", kPhoneField);
  ExpectInvalid(ParseMobilePhone("+44 20 7946 0018", kPhoneField), "PHONE_NOT_MOBILE",
                kPhoneField);  // London
}

TEST(ParseMobilePhone, OtherNonMobileTypes) {
  ExpectInvalid(ParseMobilePhone("09 70 12 34 56", kPhoneField), "PHONE_NOT_MOBILE",
                kPhoneField);  // VoIP
  ExpectInvalid(ParseMobilePhone("08 00 12 34 56", kPhoneField), "PHONE_NOT_MOBILE",
                kPhoneField);  // toll free
}

TEST(ParseMobilePhone, RejectsInvalidNumbers) {
  for (std::string_view raw : {
           "",                                 // callers check optional fields first
           "   ",                              // nothing to parse
           "abc",                              // not a number
           "06 12 34 56",                      // too short
           "06 12 34 56 78 90",                // too long
           "+33 6 12 34 56 7",                 // too short after the country code
           "+999 612345678",                   // no such country code
           "+",                                // nothing after the plus
           "00 00 00 00 00",                   // not a valid number
           "12345",                            // short code
           "06 12 34 56 78 ext. 9",            // extensions cannot receive SMS
           "06 12 34 56 78;ext=9",             // RFC 3966 extension
           "06 12 34 56 78#",                  // extension marker
           "06 12 34 56 78 #9",                // extension after '#'
           "+33612345678#12",                  // extension after '#'
           "06 12 34 56 78,9",                 // extension after ','
           "06 12 34 AB CD",                   // letters are not read as keypad digits
           "06 12 34 56 78 x",                 // trailing junk
           "Tel: 06 12 34 56 78",              // leading text
           "tel:+33612345678",                 // URI
           "0800-FLOWERS",                     // vanity number
           "06 12 34 56 78 / 07 56 12 34 56",  // two numbers
           "+33 6 12 34 56 78 90",             // too long after the country code
           "0692 12 34 56",                    // Reunion without +262 is not French
           "07400 123456",                     // UK national format without +44
       }) {
    SCOPED_TRACE(raw);
    ExpectInvalid(ParseMobilePhone(raw, kPhoneField), "INVALID_PHONE_NUMBER", kPhoneField);
  }
}

TEST(ParseMobilePhone, RejectsControlAndOversizedInput) {
  for (const std::string& raw : {
           Bytes({'0', '6', 0, '1', '2', '3', '4', '5', '6', '7', '8'}),
           std::string("06 12 34 56 78\n"), std::string("06\t12 34 56 78"),
           std::string("06 12 34 56 78\x7F"),
           std::string("06 12 34 56 78\xC2\x85"),  // U+0085 NEL
           std::string("\xE2\x80\xAE"
                       "06 12 34 56 78"),          // U+202E RLO
           std::string("06 12 34 56 78\xFF"),      // not UTF-8
           std::string("06 12 34 56 78\xC0\xB0"),  // overlong '0'
           std::string(65, '6'), std::string("06 12 34 56 78") + std::string(60, ' '),  // 74 bytes
       }) {
    SCOPED_TRACE(raw);
    ExpectInvalid(ParseMobilePhone(raw, kPhoneField), "INVALID_PHONE_NUMBER", kPhoneField);
  }
}

TEST(ParseMobilePhone, SizeLimitIsInclusive) {
  // Exactly 64 bytes of spaces and a valid number: accepted.
  std::string raw = "06 12 34 56 78";
  raw += std::string(64 - raw.size(), ' ');
  ASSERT_EQ(raw.size(), 64u);
  ExpectPhone(raw, "+33612345678");
}

TEST(ParseMobilePhone, SizeLimitCountsBytesNotCharacters) {
  // Ten full-width digits are 30 bytes; with 35 spaces the input is 65 bytes
  // but only 45 characters: still too long.
  const std::string digits =
      "\xEF\xBC\x90\xEF\xBC\x96\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93"
      "\xEF\xBC\x94\xEF\xBC\x95\xEF\xBC\x96\xEF\xBC\x97\xEF\xBC\x98";
  ExpectPhone(digits + std::string(34, ' '), "+33612345678");  // 64 bytes
  ExpectInvalid(ParseMobilePhone(digits + std::string(35, ' '), kPhoneField),
                "INVALID_PHONE_NUMBER", kPhoneField);
}

TEST(ParseMobilePhone, ReportsTheFieldItIsGiven) {
  ExpectInvalid(ParseMobilePhone("nope", "contact.sms"), "INVALID_PHONE_NUMBER", "contact.sms");
}

TEST(ParseMobilePhone, MessageDoesNotEchoTheInput) {
  absl::StatusOr<std::string> phone = ParseMobilePhone("01 42 76 40 40", kPhoneField);
  ASSERT_FALSE(phone.ok());
  EXPECT_EQ(phone.status().message().find("42 76"), std::string_view::npos);
}

// ------------------------------------------------------------------ Email

constexpr char kEmailField[] = "person.email";

void ExpectEmail(std::string_view raw, std::string_view expected) {
  absl::StatusOr<std::string> email = ParseEmail(raw, kEmailField);
  ASSERT_TRUE(email.ok()) << "input: " << raw << ": " << email.status();
  EXPECT_EQ(*email, expected) << "input: " << raw;
}

TEST(ParseEmail, AcceptsCommonAddresses) {
  ExpectEmail("zoe@example.fr", "zoe@example.fr");
  ExpectEmail("jean.dupont@interieur.gouv.fr", "jean.dupont@interieur.gouv.fr");
  ExpectEmail("a@b.co", "a@b.co");
  ExpectEmail("first+tag@mail-server.example.com", "first+tag@mail-server.example.com");
  ExpectEmail("o'neil@example.ie", "o'neil@example.ie");
  ExpectEmail("user_1@sub1.example123.org", "user_1@sub1.example123.org");
  ExpectEmail("!#$%&'*+/=?^_`{|}~-@example.com", "!#$%&'*+/=?^_`{|}~-@example.com");
  ExpectEmail("x@xn--bcher-kva.example", "x@xn--bcher-kva.example");
}

TEST(ParseEmail, LowerCasesAndTrims) {
  ExpectEmail("Zoe.Martin@Example.FR", "zoe.martin@example.fr");
  ExpectEmail("   zoe@example.fr   ", "zoe@example.fr");
}

TEST(ParseEmail, LengthLimitsAreInclusive) {
  const std::string local64(64, 'a');
  ExpectEmail(local64 + "@example.fr", local64 + "@example.fr");

  const std::string label63(63, 'b');
  ExpectEmail("a@" + label63 + ".fr", "a@" + label63 + ".fr");

  // 254 characters in all: 64 + "@" + 63 + "." + 63 + "." + 58 + ".fr".
  std::string domain =
      std::string(63, 'c') + "." + std::string(63, 'd') + "." + std::string(58, 'e') + ".fr";
  const std::string address = local64 + "@" + domain;
  ASSERT_EQ(address.size(), 254u);
  ExpectEmail(address, address);
}

TEST(ParseEmail, RejectsMalformedAddresses) {
  for (std::string_view raw : {
           "",
           "    ",
           "zoe",                      // no @
           "zoe.example.fr",           // no @
           "@example.fr",              // empty local part
           "zoe@",                     // empty domain
           "zoe@@example.fr",          // two @
           "zoe@ex@ample.fr",          // two @
           ".zoe@example.fr",          // leading dot
           "zoe.@example.fr",          // trailing dot
           "zo..e@example.fr",         // double dot
           "zoe martin@example.fr",    // inner space
           "zoe@exam ple.fr",          // space in the domain
           "\"zoe\"@example.fr",       // quoted local part
           "zoe(comment)@example.fr",  // comments
           "zoe,x@example.fr",         // comma
           "zoe@localhost",            // single label
           "zoe@example",              // single label
           "zoe@example.f",            // one-letter TLD
           "zoe@example.123",          // numeric TLD
           "zoe@example.c0m",          // TLD with a digit
           "zoe@example.fr.",          // trailing dot in the domain
           "zoe@.example.fr",          // leading dot in the domain
           "zoe@example..fr",          // empty label
           "zoe@-example.fr",          // label starts with '-'
           "zoe@example-.fr",          // label ends with '-'
           "zoe@exa_mple.fr",          // underscore in the domain
           "zoe@[192.0.2.1]",          // address literal
           "zoe@192.0.2.1",            // numeric TLD
           "zoë@example.fr",           // non-ASCII local part
           "zoe@exämple.fr",           // non-ASCII domain
           "zoe@example.fr\n",         // control character
           "\tzoe@example.fr",         // tab is not trimmed
           "zoe@example.fr\x7F",       // DEL
       }) {
    SCOPED_TRACE(raw);
    ExpectInvalid(ParseEmail(raw, kEmailField), "INVALID_EMAIL", kEmailField);
  }
  ExpectInvalid(ParseEmail(Bytes({'z', 0, '@', 'x', '.', 'f', 'r'}), kEmailField), "INVALID_EMAIL",
                kEmailField);
}

TEST(ParseEmail, RejectsOverlongParts) {
  ExpectInvalid(ParseEmail(std::string(65, 'a') + "@example.fr", kEmailField), "INVALID_EMAIL",
                kEmailField);
  ExpectInvalid(ParseEmail("a@" + std::string(64, 'b') + ".fr", kEmailField), "INVALID_EMAIL",
                kEmailField);
  std::string domain =
      std::string(63, 'c') + "." + std::string(63, 'd') + "." + std::string(59, 'e') + ".fr";
  const std::string address = std::string(64, 'a') + "@" + domain;
  ASSERT_EQ(address.size(), 255u);
  ExpectInvalid(ParseEmail(address, kEmailField), "INVALID_EMAIL", kEmailField);
  ExpectInvalid(ParseEmail(std::string(100000, 'a'), kEmailField), "INVALID_EMAIL", kEmailField);
}

// ------------------------------------------------------------------- Name

constexpr char kNameField[] = "person.given_name";

void ExpectName(std::string_view raw, std::string_view expected) {
  absl::StatusOr<std::string> name = ParseName(raw, kNameField);
  ASSERT_TRUE(name.ok()) << "input: " << raw << ": " << name.status();
  EXPECT_EQ(*name, expected) << "input: " << raw;
}

TEST(ParseName, AcceptsAnyScript) {
  for (std::string_view name : {
           "Zoë", "Nguyễn", "محمد", "李", "Ольга", "Αλέξανδρος", "שרה", "Ngũgĩ wa Thiong'o",
           "Jean-Pierre", "O'Connor", "de La Fontaine", "Ælfrēd", "A",
           "😀",  // four-byte sequence
       }) {
    ExpectName(name, name);
  }
}

TEST(ParseName, TrimsSurroundingSpacesOnly) {
  ExpectName("  Zoë  ", "Zoë");
  ExpectName("Marie  Claire", "Marie  Claire");  // inner runs kept
  ExpectName(" de  la   Tour ", "de  la   Tour");
}

TEST(ParseName, CountsCodePointsNotBytes) {
  // 100 two-byte characters: 200 bytes, still 100 characters.
  std::string hundred;
  for (int i = 0; i < 100; ++i) hundred += "é";
  ExpectName(hundred, hundred);
  // 100 four-byte characters.
  std::string emoji;
  for (int i = 0; i < 100; ++i) emoji += "😀";
  ExpectName(emoji, emoji);
  // Trimmed spaces do not count.
  ExpectName("   " + std::string(100, 'a') + "   ", std::string(100, 'a'));

  ExpectInvalid(ParseName(hundred + "é", kNameField), "INVALID_NAME", kNameField);
  ExpectInvalid(ParseName(std::string(101, 'a'), kNameField), "INVALID_NAME", kNameField);
}

TEST(ParseName, RejectsEmpty) {
  ExpectInvalid(ParseName("", kNameField), "INVALID_NAME", kNameField);
  ExpectInvalid(ParseName("     ", kNameField), "INVALID_NAME", kNameField);
}

TEST(ParseName, RejectsControlsAndInvisibleFormatting) {
  for (const std::string& raw : {
           Bytes({'Z', 'o', 0, 'e'}),   // U+0000
           std::string("Zoe\x01"),      // C0
           std::string("Zoe\tMartin"),  // tab
           std::string("Zoe\nMartin"),  // line feed
           std::string("Zoe\r"),        // carriage return
           std::string("Zoe\x1B[31m"),  // escape sequence
           std::string("Zoe\x7F"),      // DEL
           std::string("Zoe\xC2\x80"),  // U+0080 (C1)
           std::string("Zoe\xC2\x85"),  // U+0085 NEL
           std::string("Zoe\xC2\x9F"),  // U+009F (C1)
           std::string("\xE2\x80\xAA"
                       "Zoe"),  // U+202A LRE
           std::string("\xE2\x80\xAB"
                       "Zoe"),  // U+202B RLE
           std::string("\xE2\x80\xAC"
                       "Zoe"),  // U+202C PDF
           std::string("\xE2\x80\xAD"
                       "Zoe"),  // U+202D LRO
           std::string("Zoe\xE2\x80\xAE"
                       "nitraM"),  // U+202E RLO
           std::string("\xE2\x81\xA6"
                       "Zoe"),  // U+2066 LRI
           std::string("\xE2\x81\xA7"
                       "Zoe"),  // U+2067 RLI
           std::string("\xE2\x81\xA8"
                       "Zoe"),              // U+2068 FSI
           std::string("Zoe\xE2\x81\xA9"),  // U+2069 PDI
           std::string("\xEF\xBB\xBF"
                       "Zoe"),  // U+FEFF BOM
           std::string("Zoe\xE2\x80\xA8"
                       "Martin"),  // U+2028 LS
           std::string("Zoe\xE2\x80\xA9"
                       "Martin"),  // U+2029 PS
       }) {
    SCOPED_TRACE(raw);
    ExpectInvalid(ParseName(raw, kNameField), "INVALID_NAME", kNameField);
  }
}

TEST(ParseName, AcceptsNeighboursOfForbiddenRanges) {
  ExpectName("Zoe\xC2\xA0Martin", "Zoe\xC2\xA0Martin");  // U+00A0 NBSP
  ExpectName("Zoe\xE2\x80\xAF", "Zoe\xE2\x80\xAF");      // U+202F NNBSP
  ExpectName("Zoe\xE2\x81\xA5", "Zoe\xE2\x81\xA5");      // U+2065
  ExpectName("Zoe\xE2\x81\xAA", "Zoe\xE2\x81\xAA");      // U+206A
  ExpectName("Zoe\xEF\xBB\xBE", "Zoe\xEF\xBB\xBE");      // U+FEFE
  ExpectName("\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF");    // U+10FFFF
  ExpectName("\xED\x9F\xBF", "\xED\x9F\xBF");            // U+D7FF
  ExpectName("\xEE\x80\x80", "\xEE\x80\x80");            // U+E000
}

TEST(ParseName, RejectsMalformedUtf8) {
  for (const std::string& raw : {
           std::string("Zo\xEB"),  // Latin-1 'ë'
           std::string("\x80"
                       "abc"),              // lone continuation byte
           std::string("abc\xC3"),          // truncated 2-byte sequence
           std::string("abc\xE2\x82"),      // truncated 3-byte sequence
           std::string("abc\xF0\x9F\x98"),  // truncated 4-byte sequence
           std::string("\xC3"
                       "a"),                         // bad continuation
           std::string("\xE2\x28\xA1"),              // bad continuation
           std::string("\xC0\xAF"),                  // overlong '/'
           std::string("\xC1\xBF"),                  // overlong
           std::string("\xE0\x80\xAF"),              // overlong 3-byte '/'
           std::string("\xE0\x9F\xBF"),              // overlong 3-byte U+07FF
           std::string("\xF0\x80\x80\xAF"),          // overlong 4-byte '/'
           std::string("\xF0\x8F\xBF\xBF"),          // overlong 4-byte U+FFFF
           std::string("\xC0\x80"),                  // overlong NUL (modified UTF-8)
           std::string("\xED\xA0\x80"),              // U+D800 surrogate
           std::string("\xED\xBF\xBF"),              // U+DFFF surrogate
           std::string("\xED\xA0\xBD\xED\xB8\x80"),  // CESU-8 emoji
           std::string("\xF4\x90\x80\x80"),          // U+110000
           std::string("\xF7\xBF\xBF\xBF"),          // U+1FFFFF
           std::string("\xF8\x88\x80\x80\x80"),      // 5-byte form
           std::string("\xFC\x84\x80\x80\x80\x80"),  // 6-byte form
           std::string("\xFE"),
           std::string("\xFF"),
       }) {
    SCOPED_TRACE(raw);
    ExpectInvalid(ParseName(raw, kNameField), "INVALID_NAME", kNameField);
  }
}

TEST(ParseName, NeverReadsPastTheEndOfItsInput) {
  // The view stops in the middle of "é": the byte after it, although in
  // memory, is not part of the input.
  const std::string buffer = "Zo\xC3\xA9";
  ExpectInvalid(ParseName(std::string_view(buffer.data(), 3), kNameField), "INVALID_NAME",
                kNameField);
  const std::string emoji = "\xF0\x9F\x98\x80";
  for (size_t size = 1; size < emoji.size(); ++size) {
    ExpectInvalid(ParseName(std::string_view(emoji.data(), size), kNameField), "INVALID_NAME",
                  kNameField);
  }
}

// -------------------------------------------------------------- Free text

constexpr char kNoteField[] = "booking.note";

TEST(ParseFreeText, AcceptsEmptyAndOrdinaryText) {
  absl::StatusOr<std::string> text = ParseFreeText("", kNoteField, 10);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "");

  text = ParseFreeText("   ", kNoteField, 10);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "");

  text = ParseFreeText("  Besoin d'un interprète (arabe)  ", kNoteField, 200);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "Besoin d'un interprète (arabe)");

  text = ParseFreeText("كرسي متحرك   wheelchair", kNoteField, 200);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "كرسي متحرك   wheelchair");
}

TEST(ParseFreeText, EnforcesMaxCharsInCodePoints) {
  absl::StatusOr<std::string> text = ParseFreeText("ééééé", kNoteField, 5);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "ééééé");

  ExpectInvalid(ParseFreeText("éééééé", kNoteField, 5), "INVALID_TEXT", kNoteField);
  ExpectInvalid(ParseFreeText(std::string(501, 'x'), kNoteField, 500), "INVALID_TEXT", kNoteField);
  text = ParseFreeText(std::string(500, 'x'), kNoteField, 500);
  EXPECT_TRUE(text.ok()) << text.status();
}

TEST(ParseFreeText, ZeroOrNegativeLimitOnlyAllowsEmpty) {
  EXPECT_TRUE(ParseFreeText("", kNoteField, 0).ok());
  EXPECT_TRUE(ParseFreeText("", kNoteField, -1).ok());
  ExpectInvalid(ParseFreeText("a", kNoteField, 0), "INVALID_TEXT", kNoteField);
  ExpectInvalid(ParseFreeText("a", kNoteField, -1), "INVALID_TEXT", kNoteField);
}

TEST(ParseFreeText, RejectsLineBreaksControlsAndBadUtf8) {
  for (const std::string& raw : {
           std::string("line one\nline two"),
           std::string("line one\r\nline two"),
           std::string("line one\rline two"),
           std::string("tab\there"),
           std::string("bell\x07"),
           std::string("del\x7F"),
           std::string("nel\xC2\x85"),
           std::string("ls\xE2\x80\xA8"),
           std::string("\xE2\x80\xAE"
                       "evil"),
           std::string("\xE2\x81\xA6"
                       "isolate"),
           std::string("bom\xEF\xBB\xBF"),
           Bytes({'a', 0, 'b'}),
           std::string("latin1 \xE9"),
           std::string("overlong \xC0\xAE"),
           std::string("surrogate \xED\xB0\x80"),
       }) {
    SCOPED_TRACE(raw);
    ExpectInvalid(ParseFreeText(raw, kNoteField, 1000), "INVALID_TEXT", kNoteField);
  }
}

// --------------------------------------------------------------- Language

constexpr char kLanguageField[] = "person.language";

TEST(ParseLanguage, EmptyMeansFrench) {
  absl::StatusOr<std::string> language = ParseLanguage("", kLanguageField);
  ASSERT_TRUE(language.ok()) << language.status();
  EXPECT_EQ(*language, "fr");
}

TEST(ParseLanguage, AcceptsEverySupportedCodeInAnyCase) {
  ASSERT_EQ(SupportedLanguages().size(), 16u);
  for (const std::string& code : SupportedLanguages()) {
    absl::StatusOr<std::string> language = ParseLanguage(code, kLanguageField);
    ASSERT_TRUE(language.ok()) << code << ": " << language.status();
    EXPECT_EQ(*language, code);

    std::string upper = code;
    for (char& c : upper) c = static_cast<char>(c - 'a' + 'A');
    language = ParseLanguage(upper, kLanguageField);
    ASSERT_TRUE(language.ok()) << upper << ": " << language.status();
    EXPECT_EQ(*language, code);
  }
  absl::StatusOr<std::string> mixed = ParseLanguage("Ar", kLanguageField);
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(*mixed, "ar");
}

TEST(ParseLanguage, ListIsTheAgreedOne) {
  const std::vector<std::string> expected = {"fr", "en", "ar", "es", "pt", "it", "de", "ro",
                                             "ru", "uk", "tr", "zh", "fa", "ps", "ta", "bn"};
  EXPECT_EQ(SupportedLanguages(), expected);
  EXPECT_EQ(&SupportedLanguages(), &SupportedLanguages());
}

TEST(ParseLanguage, RejectsUnsupported) {
  for (const std::string& raw : {
           std::string("ja"),
           std::string("nl"),
           std::string("xx"),
           std::string("f"),
           std::string("fra"),
           std::string("fr-FR"),
           std::string("fr_FR"),
           std::string(" fr"),
           std::string("fr "),
           std::string("french"),
           std::string("FR\n"),
           Bytes({'f', 'r', 0}),
           std::string("\xC3\xA9n"),
           std::string(1000, 'f'),
       }) {
    SCOPED_TRACE(raw);
    ExpectInvalid(ParseLanguage(raw, kLanguageField), "UNSUPPORTED_LANGUAGE", kLanguageField);
  }
}

// --------------------------------------------------- Reference, access code

constexpr char kReferenceField[] = "reference";
constexpr char kAccessCodeField[] = "access_code";

TEST(ParseReference, AlphabetIsUnambiguous) {
  EXPECT_EQ(kReferenceAlphabet.size(), 32u);
  for (char c : std::string_view("01IO")) {
    EXPECT_EQ(kReferenceAlphabet.find(c), std::string_view::npos) << c;
  }
}

TEST(ParseReference, NormalisesWhatPeopleType) {
  for (std::string_view raw : {
           "ABCD2345",
           "abcd2345",
           "AbCd2345",
           "ABCD-2345",
           "abcd 2345",
           "  ABCD 2345  ",
           "A-B-C-D-2-3-4-5",
           "ab cd-23 45",
       }) {
    absl::StatusOr<std::string> reference = ParseReference(raw, kReferenceField);
    ASSERT_TRUE(reference.ok()) << raw << ": " << reference.status();
    EXPECT_EQ(*reference, "ABCD2345") << raw;
  }
  absl::StatusOr<std::string> all = ParseReference("zyxw9876", kReferenceField);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, "ZYXW9876");
}

TEST(ParseReference, RejectsWrongLengthAndCharacters) {
  for (const std::string& raw : {
           std::string(""),
           std::string("   "),
           std::string("--------"),
           std::string("ABCD234"),    // 7
           std::string("ABCD23456"),  // 9
           std::string("ABCD0345"),   // 0 not in the alphabet
           std::string("ABCD1345"),   // 1
           std::string("ABCDO345"),   // O
           std::string("ABCDI345"),   // I
           std::string("abcdo345"),   // o, after upper-casing
           std::string("abcdi345"),   // i
           std::string("ABCD_2345"),  // other separators are not dropped
           std::string("ABCD.2345"),
           std::string("ABCD\t2345"),  // only spaces are dropped
           std::string("ABCD2345\n"),
           Bytes({'A', 'B', 'C', 'D', '2', '3', '4', 0}),
           std::string("ABCD234\xC3\xA9"),                   // non-ASCII
           std::string("ABCD 2345") + std::string(24, ' '),  // 33 bytes
           std::string(33, '-'),
       }) {
    SCOPED_TRACE(raw);
    ExpectInvalid(ParseReference(raw, kReferenceField), "INVALID_REFERENCE", kReferenceField);
  }
}

TEST(ParseReference, InputSizeLimitIsInclusive) {
  std::string raw = "ABCD2345" + std::string(24, ' ');
  ASSERT_EQ(raw.size(), 32u);
  absl::StatusOr<std::string> reference = ParseReference(raw, kReferenceField);
  ASSERT_TRUE(reference.ok()) << reference.status();
  EXPECT_EQ(*reference, "ABCD2345");
}

TEST(ParseAccessCode, SameRulesOwnReason) {
  absl::StatusOr<std::string> code = ParseAccessCode("wxyz-6789", kAccessCodeField);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, "WXYZ6789");

  code = ParseAccessCode(" 2345 6789 ", kAccessCodeField);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, "23456789");

  for (const std::string& raw : {
           std::string(""),
           std::string("WXYZ678"),
           std::string("WXYZ67890"),
           std::string("WXYZ6O89"),
           std::string("WXYZ6I89"),
           std::string("WXYZ6!89"),
           std::string(40, '2'),
       }) {
    SCOPED_TRACE(raw);
    ExpectInvalid(ParseAccessCode(raw, kAccessCodeField), "INVALID_ACCESS_CODE", kAccessCodeField);
  }
}

}  // namespace
}  // namespace accueil::input
