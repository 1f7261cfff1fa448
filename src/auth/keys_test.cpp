#include "auth/keys.hpp"

#include <gtest/gtest.h>

#include "config/test_env.hpp"

#include <map>

namespace llmgw {
namespace {

key_entry entry(std::string name, std::string hash) {
  key_entry e;
  e.name = std::move(name);
  e.key_sha256 = std::move(hash);
  return e;
}

TEST(sha256, known_vectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(std::string_view("a\0b", 3)).size(), 64u);
}

TEST(sha256, hex_round_trip) {
  const std::string hex = sha256_hex("key");
  const auto digest = parse_sha256_hex(hex);
  ASSERT_TRUE(digest);
  EXPECT_EQ(to_hex(*digest), hex);
  EXPECT_EQ(*digest, sha256("key"));
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(parse_sha256_hex(upper), digest);
  EXPECT_FALSE(parse_sha256_hex(""));
  EXPECT_FALSE(parse_sha256_hex(hex.substr(1)));
  EXPECT_FALSE(parse_sha256_hex(hex + "0"));
  EXPECT_FALSE(parse_sha256_hex(std::string(63, '0') + "g"));
}

TEST(sha256, secure_wipe_empties) {
  std::string secret = "a secret long enough to live on the heap";
  secure_wipe(secret);
  EXPECT_TRUE(secret.empty());
  std::string empty;
  secure_wipe(empty);
  EXPECT_TRUE(empty.empty());
}

TEST(keys, config_keys_and_master_key_are_looked_up_by_hash) {
  const config cfg =
      load_config_from_string("keys:\n  - {name: team-a, key_sha256: " + sha256_hex("team-a-key") +
                                  ", team: red}\n  - {name: team-b, key: ${TEAM_B}}\n",
                              fake_env({{"TEAM_B", "team-b-key"}, {"LLMGW_MASTER_KEY", "the-master-key"}}));
  const key_store store(cfg);
  EXPECT_EQ(store.size(), 3u);

  const auto a = store.lookup("team-a-key");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "team-a");
  EXPECT_EQ(a->team, "red");
  EXPECT_FALSE(a->is_master);

  const auto b = store.lookup("team-b-key");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->name, "team-b");
  EXPECT_EQ(b->team, "");

  const auto master = store.lookup("the-master-key");
  ASSERT_TRUE(master);
  EXPECT_EQ(master->name, "master");
  EXPECT_TRUE(master->is_master);

  EXPECT_EQ(store.lookup_digest(sha256("team-a-key"))->name, "team-a");

  // The id is the hash's first 12 hex digits: stable, distinct per key, not the key.
  EXPECT_EQ(a->id, "key_" + sha256_hex("team-a-key").substr(0, 12));
  EXPECT_NE(a->id, b->id);
  EXPECT_EQ(a->id.find("team-a-key"), std::string_view::npos);
}

TEST(keys, wrong_keys_are_rejected) {
  const key_store store({entry("team-a", sha256_hex("right"))}, sha256_hex("master"));
  EXPECT_FALSE(store.lookup("wrong"));
  EXPECT_FALSE(store.lookup(""));
  EXPECT_FALSE(store.lookup("right "));
  EXPECT_FALSE(store.lookup("Right"));
  EXPECT_FALSE(store.lookup(sha256_hex("right"))) << "presenting the stored hash must not work";
  EXPECT_TRUE(store.lookup("right"));
}

TEST(keys, empty_store) {
  const key_store store;
  EXPECT_TRUE(store.empty());
  EXPECT_FALSE(store.lookup("anything"));
}

TEST(keys, master_key_wins_over_a_config_key_with_the_same_value) {
  const key_store store({entry("team-a", sha256_hex("same"))}, sha256_hex("same"));
  const auto p = store.lookup("same");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->is_master);
}

TEST(keys, malformed_hash_is_a_config_error) {
  EXPECT_THROW(key_store({entry("bad", "abc")}, std::nullopt), config_error);
}

TEST(keys, principal_name_outlives_the_lookup_but_not_the_store) {
  const key_store store({entry("a-rather-long-team-name-beyond-sso", sha256_hex("k"))}, std::nullopt);
  std::string_view name;
  {
    const auto p = store.lookup("k");
    ASSERT_TRUE(p);
    name = p->name;
  }
  EXPECT_EQ(name, "a-rather-long-team-name-beyond-sso");
}

TEST(keys, bearer_token) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer abc"), "abc");
  EXPECT_EQ(bearer_token("BEARER   abc  "), "abc");
  EXPECT_EQ(bearer_token("  Bearer\tsk-x.y_z "), "sk-x.y_z");
  EXPECT_FALSE(bearer_token(""));
  EXPECT_FALSE(bearer_token("Bearer"));
  EXPECT_FALSE(bearer_token("Bearer    "));
  EXPECT_FALSE(bearer_token("Bearerabc"));
  EXPECT_FALSE(bearer_token("Basic dXNlcjpwYXNz"));
  EXPECT_FALSE(bearer_token("abc"));
}

TEST(keys, presented_key_prefers_bearer_then_x_api_key) {
  EXPECT_EQ(presented_key("Bearer from-auth", "from-header"), "from-auth");
  EXPECT_EQ(presented_key("", "from-header"), "from-header");
  EXPECT_EQ(presented_key("Basic xyz", " from-header "), "from-header");
  EXPECT_FALSE(presented_key("", ""));
  EXPECT_FALSE(presented_key("Bearer ", "  "));
}

}  // namespace
}  // namespace llmgw
