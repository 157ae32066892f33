// The strict JSON reader and the Hugging Face config.json import: every config of the zoo
// (configs/models/hf/*.json) yields the shapes of docs/REFERENCES.md (R-*-SHAPE), fields
// already set are kept, and bad files give messages naming the file, line:column, key,
// value and expectation.
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/json_reader.h"
#include "moefab.pb.h"
#include "runtime/config/hf_config.h"

namespace moefab {
namespace {

namespace fs = std::filesystem;
namespace pb = ::moefab::config;

// The message of the ConfigError `f` throws ("" if none).
template <typename F>
std::string ErrorOf(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// ---------------------------------------------------------------------------- JSON reader

TEST(JsonReaderTest, ParsesEveryKindWithPositions) {
  const json::Value v = json::Parse(R"({
  "a": [1, -2.5e3, 0, 18446744073709551615],
  "s": "q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00",
  "t": true, "f": false, "n": null, "o": {}
})",
                                    "x.json");
  ASSERT_EQ(v.kind, json::Kind::kObject);
  ASSERT_EQ(v.members.size(), 6u);
  const json::Value* a = v.Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->line, 2u);
  EXPECT_EQ(a->column, 8u);
  ASSERT_EQ(a->items.size(), 4u);
  EXPECT_TRUE(a->items[0].IsUint64());
  EXPECT_EQ(a->items[0].AsUint64(), 1u);
  EXPECT_FALSE(a->items[1].IsUint64());
  EXPECT_DOUBLE_EQ(a->items[1].number, -2500.0);
  EXPECT_EQ(a->items[3].AsUint64(), 18446744073709551615ull);
  EXPECT_EQ(v.Find("s")->text, "q\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_TRUE(v.Find("t")->boolean);
  EXPECT_EQ(v.Find("f")->kind, json::Kind::kBool);
  EXPECT_TRUE(v.Find("n")->is_null());
  EXPECT_EQ(v.Find("o")->kind, json::Kind::kObject);
  EXPECT_EQ(v.Find("missing"), nullptr);
}

TEST(JsonReaderTest, RejectsNonStrictJsonWithLineAndColumn) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"{\"a\": 1,\n}", "x.json:2:1: trailing comma before '}'"},
      {"[1, 2,]", "x.json:1:7: trailing comma before ']'"},
      {"{\"a\": 1 \"b\": 2}", "x.json:1:9: expected ',' or '}' in an object, found '\"'"},
      {"{\"a\": 01}", "x.json:1:8: leading zero"},
      {"{\"a\": NaN}", "x.json:1:7: expected a value"},
      {"{\"a\": nan}", "x.json:1:7: unknown literal 'nan'"},
      {"{\"a\": 1e999}", "x.json:1:7: number 1e999 is out of the range of a double"},
      {"{\"a\": \"x\ny\"}", "x.json:1:9: control character"},
      {"{\"a\": \"\\x\"}", "x.json:1:9: unknown escape \\x"},
      {"{\"a\": \"\\udc00\"}", "x.json:1:8: unpaired low surrogate"},
      {"{\"a\": \"abc", "x.json:1:7: string not closed"},
      {"{\"a\": 1, \"a\": 2}", "x.json:1:10: duplicate key \"a\""},
      {"{\"a\": 1} x", "x.json:1:10: unexpected 'x' after the top-level value"},
      {"", "x.json:1:1: expected a value"},
      {"// c\n{}", "x.json:1:1: expected a value"},
      {"{a: 1}", "x.json:1:2: expected a member name in double quotes"},
      {"{\"a\" 1}", "x.json:1:6: expected ':' after the member name"},
      {"[1 2]", "x.json:1:4: expected ',' or ']' in an array"},
      {"-", "x.json:1:2: expected a digit"},
      {"1.", "x.json:1:3: expected a digit"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const std::string e = ErrorOf([&] { json::Parse(c.text, "x.json"); });
    EXPECT_NE(e.find(c.message), std::string::npos) << e;
  }
}

TEST(JsonReaderTest, LimitsNesting) {
  const std::string deep(300, '[');
  const std::string e = ErrorOf([&] { json::Parse(deep, "d.json"); });
  EXPECT_NE(e.find("nesting deeper than 256 levels"), std::string::npos) << e;
  EXPECT_NO_THROW(json::Parse(std::string(200, '[') + std::string(200, ']'), "ok.json"));
}

TEST(JsonReaderTest, MissingFileNamesThePath) {
  const std::string e = ErrorOf([] { json::ParseFile("/no/such/config.json"); });
  EXPECT_NE(e.find("/no/such/config.json: cannot open"), std::string::npos) << e;
}

// ---------------------------------------------------------------------------- HF import

struct Expected {
  const char* file;
  uint32_t layers, d_model, width, experts, top_k;
  pb::RouterRule router;
  uint32_t shared, dense_layers, dense_width, heads, kv_heads, head_dim;
  pb::WeightFormat format;
  pb::Activation activation;
  uint32_t groups, topk_groups;
  double scaling;
};

// From docs/REFERENCES.md R-*-SHAPE (shapes, MoE layers, attention) and R-ROUTERS (routers).
const Expected kZoo[] = {
    {"mixtral-8x7b", 32, 4096, 14336, 8, 2, pb::SOFTMAX_TOPK_RENORM, 0, 0, 0, 32, 8, 128, pb::WEIGHT_FORMAT_UNSPECIFIED,
     pb::ACTIVATION_UNSPECIFIED, 0, 0, 0},
    {"deepseek-v3", 58, 7168, 2048, 256, 8, pb::SIGMOID_GROUP_TOPK, 1, 3, 18432, 128, 128, 192,
     pb::WEIGHT_FORMAT_UNSPECIFIED, pb::ACTIVATION_UNSPECIFIED, 8, 4, 2.5},
    {"qwen3-30b-a3b", 48, 2048, 768, 128, 8, pb::SOFTMAX_TOPK_RENORM, 0, 0, 0, 32, 4, 128,
     pb::WEIGHT_FORMAT_UNSPECIFIED, pb::ACTIVATION_UNSPECIFIED, 0, 0, 0},
    {"gpt-oss-20b", 24, 2880, 2880, 32, 4, pb::TOPK_SOFTMAX, 0, 0, 0, 64, 8, 64, pb::MXFP4, pb::SWIGLU_CLAMPED, 0, 0,
     0},
    {"gpt-oss-120b", 36, 2880, 2880, 128, 4, pb::TOPK_SOFTMAX, 0, 0, 0, 64, 8, 64, pb::MXFP4, pb::SWIGLU_CLAMPED, 0, 0,
     0},
    {"llama-4-maverick", 24, 5120, 8192, 128, 1, pb::TOP1_SIGMOID_INPUT, 1, 24, 16384, 40, 8, 128,
     pb::WEIGHT_FORMAT_UNSPECIFIED, pb::ACTIVATION_UNSPECIFIED, 0, 0, 0},
    {"olmoe-1b-7b", 16, 2048, 1024, 64, 8, pb::SOFTMAX_TOPK, 0, 0, 0, 16, 16, 128, pb::WEIGHT_FORMAT_UNSPECIFIED,
     pb::ACTIVATION_UNSPECIFIED, 0, 0, 0},
    {"qwen1.5-moe-a2.7b", 24, 2048, 1408, 60, 4, pb::SOFTMAX_TOPK, 4, 0, 0, 16, 16, 128, pb::WEIGHT_FORMAT_UNSPECIFIED,
     pb::ACTIVATION_UNSPECIFIED, 0, 0, 0},
};

std::string HfPath(const std::string& stem) {
  return (fs::path(MOEFAB_SOURCE_DIR) / "configs" / "models" / "hf" / (stem + ".json")).string();
}

TEST(HfConfigTest, EveryZooConfigYieldsTheReferenceShapes) {
  for (const Expected& x : kZoo) {
    SCOPED_TRACE(x.file);
    pb::Model m;
    ApplyHfConfig(HfPath(x.file), m);
    EXPECT_EQ(m.name(), x.file);
    EXPECT_EQ(m.num_layers(), x.layers);
    EXPECT_EQ(m.d_model(), x.d_model);
    EXPECT_EQ(m.expert_width(), x.width);
    EXPECT_EQ(m.num_experts(), x.experts);
    EXPECT_EQ(m.top_k(), x.top_k);
    EXPECT_EQ(m.router(), x.router);
    EXPECT_EQ(m.num_shared_experts(), x.shared);
    EXPECT_EQ(m.num_dense_layers(), x.dense_layers);
    EXPECT_EQ(m.dense_ffn_width(), x.dense_width);
    EXPECT_EQ(m.num_heads(), x.heads);
    EXPECT_EQ(m.num_kv_heads(), x.kv_heads);
    EXPECT_EQ(m.head_dim(), x.head_dim);
    EXPECT_EQ(m.weight_format(), x.format);
    EXPECT_EQ(m.activation(), x.activation);
    EXPECT_EQ(m.num_groups(), x.groups);
    EXPECT_EQ(m.topk_groups(), x.topk_groups);
    EXPECT_DOUBLE_EQ(m.routed_scaling(), x.scaling);
  }
  // The set of files is the zoo: a new JSON needs a row above.
  int files = 0;
  for (const auto& e : fs::directory_iterator(fs::path(MOEFAB_SOURCE_DIR) / "configs/models/hf"))
    files += e.path().extension() == ".json";
  EXPECT_EQ(files, static_cast<int>(std::size(kZoo)));
}

TEST(HfConfigTest, DeepseekMlaKvCacheIsTheLatent) {
  pb::Model m;
  ApplyHfConfig(HfPath("deepseek-v3"), m);
  EXPECT_EQ(m.kv_bytes_per_token_layer(), 2u * (512 + 64));  // 576 BF16 elements
  EXPECT_EQ(m.kv_lora_rank(), 512u);  // counted as MLA (runtime/config/attention_work.h)
  EXPECT_EQ(m.q_lora_rank(), 1536u);
  EXPECT_EQ(m.qk_rope_head_dim(), 64u);
  EXPECT_EQ(m.v_head_dim(), 128u);
  pb::Model mixtral;
  ApplyHfConfig(HfPath("mixtral-8x7b"), mixtral);
  EXPECT_EQ(mixtral.kv_bytes_per_token_layer(), 0u);  // the loader's GQA default applies
  EXPECT_EQ(mixtral.kv_lora_rank(), 0u);
}

TEST(HfConfigTest, FieldsAlreadySetAreKept) {
  pb::Model m;
  m.set_name("mine");
  m.set_num_layers(2);
  m.set_top_k(1);
  m.set_router(pb::SOFTMAX_TOPK);
  m.set_weight_format(pb::INT4);
  ApplyHfConfig(HfPath("gpt-oss-120b"), m);
  EXPECT_EQ(m.name(), "mine");
  EXPECT_EQ(m.num_layers(), 2u);
  EXPECT_EQ(m.top_k(), 1u);
  EXPECT_EQ(m.router(), pb::SOFTMAX_TOPK);
  EXPECT_EQ(m.weight_format(), pb::INT4);
  EXPECT_EQ(m.num_experts(), 128u);  // filled
  EXPECT_EQ(m.activation(), pb::SWIGLU_CLAMPED);
}

// A per-process temp folder, removed at exit.
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("moefab_hf_test_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

// Writes `text` to a file in the temp folder and returns its path.
std::string WriteTemp(const std::string& name, const std::string& text) {
  static const TempDir dir;
  const fs::path p = dir.path / name;
  std::ofstream(p) << text;
  return p.string();
}

std::string ApplyError(const std::string& name, const std::string& text) {
  const std::string path = WriteTemp(name, text);
  return ErrorOf([&] {
    pb::Model m;
    ApplyHfConfig(path, m);
  });
}

TEST(HfConfigTest, OtherFamiliesAndLayerRules) {
  // DBRX keys (nested ffn_config / attn_config), DeepSeek-V2-Lite, Qwen3 with dense layers,
  // a Llama 4 text config with an explicit moe_layers list.
  pb::Model dbrx;
  ApplyHfConfig(WriteTemp("dbrx.json", R"({"model_type": "dbrx", "d_model": 6144, "n_heads": 48,
    "n_layers": 40, "attn_config": {"kv_n_heads": 8},
    "ffn_config": {"ffn_hidden_size": 10752, "moe_num_experts": 16, "moe_top_k": 4,
                   "moe_normalize_expert_weights": 1}})"),
                dbrx);
  EXPECT_EQ(dbrx.num_layers(), 40u);
  EXPECT_EQ(dbrx.expert_width(), 10752u);
  EXPECT_EQ(dbrx.num_experts(), 16u);
  EXPECT_EQ(dbrx.top_k(), 4u);
  EXPECT_EQ(dbrx.router(), pb::SOFTMAX_TOPK_RENORM);
  EXPECT_EQ(dbrx.num_kv_heads(), 8u);
  EXPECT_EQ(dbrx.head_dim(), 128u);

  pb::Model lite;
  ApplyHfConfig(WriteTemp("v2lite.json", R"({"model_type": "deepseek_v2", "num_hidden_layers": 27,
    "hidden_size": 2048, "intermediate_size": 10944, "moe_intermediate_size": 1408,
    "n_routed_experts": 64, "num_experts_per_tok": 6, "n_shared_experts": 2,
    "first_k_dense_replace": 1, "num_attention_heads": 16, "num_key_value_heads": 16,
    "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "kv_lora_rank": 512, "q_lora_rank": null,
    "norm_topk_prob": false, "routed_scaling_factor": 1.0, "topk_method": "greedy",
    "scoring_func": "softmax", "n_group": 1, "topk_group": 1})"),
                lite);
  EXPECT_EQ(lite.num_layers(), 26u);
  EXPECT_EQ(lite.num_dense_layers(), 1u);
  EXPECT_EQ(lite.dense_ffn_width(), 10944u);
  EXPECT_EQ(lite.num_shared_experts(), 2u);
  EXPECT_EQ(lite.router(), pb::SOFTMAX_TOPK);
  EXPECT_EQ(lite.q_lora_rank(), 0u);   // null: no query compression
  EXPECT_EQ(lite.v_head_dim(), 128u);  // absent: the non-rotary head dimension (noted)

  pb::Model qwen;
  ApplyHfConfig(WriteTemp("qwen.json", R"({"model_type": "qwen3_moe", "num_hidden_layers": 8,
    "hidden_size": 256, "intermediate_size": 1024, "moe_intermediate_size": 64,
    "num_experts": 16, "num_experts_per_tok": 2, "num_attention_heads": 4,
    "decoder_sparse_step": 2, "mlp_only_layers": [1]})"),
                qwen);
  // Sparse: (i+1) % 2 == 0 -> 1, 3, 5, 7, minus the mlp-only layer 1.
  EXPECT_EQ(qwen.num_layers(), 3u);
  EXPECT_EQ(qwen.num_dense_layers(), 5u);
  EXPECT_EQ(qwen.dense_ffn_width(), 1024u);
  EXPECT_EQ(qwen.head_dim(), 64u);  // hidden / heads
  EXPECT_EQ(qwen.num_kv_heads(), 4u);

  pb::Model scout;
  ApplyHfConfig(WriteTemp("scout.json", R"({"model_type": "llama4_text", "num_hidden_layers": 4,
    "hidden_size": 512, "intermediate_size": 256, "intermediate_size_mlp": 1024,
    "num_local_experts": 16, "num_experts_per_tok": 1, "num_attention_heads": 4,
    "moe_layers": [0, 2, 3]})"),
                scout);
  EXPECT_EQ(scout.num_layers(), 3u);
  EXPECT_EQ(scout.num_dense_layers(), 1u);
  EXPECT_EQ(scout.num_shared_experts(), 1u);
}

// Qwen2-MoE (Qwen1.5-MoE-A2.7B's config.json keys), Qwen3-Next (Qwen3-Next-80B-A3B) and
// GLM-4-MoE (GLM-4.5-Air): shapes, routers, the shared expert as routed-width shared experts,
// dense first layers, and a note for every key a default stood in for.
TEST(HfConfigTest, Qwen2MoeQwen3NextAndGlm4Moe) {
  pb::Model qwen2;
  std::vector<std::string> notes;
  ApplyHfConfig(WriteTemp("qwen2.json", R"({"model_type": "qwen2_moe", "hidden_size": 2048,
    "num_hidden_layers": 24, "num_attention_heads": 16, "num_key_value_heads": 16,
    "intermediate_size": 5632, "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632,
    "num_experts": 60, "num_experts_per_tok": 4, "norm_topk_prob": false, "decoder_sparse_step": 1,
    "mlp_only_layers": []})"),
                qwen2, &notes);
  EXPECT_EQ(qwen2.num_layers(), 24u);
  EXPECT_EQ(qwen2.d_model(), 2048u);
  EXPECT_EQ(qwen2.expert_width(), 1408u);
  EXPECT_EQ(qwen2.num_experts(), 60u);
  EXPECT_EQ(qwen2.top_k(), 4u);
  EXPECT_EQ(qwen2.router(), pb::SOFTMAX_TOPK);
  EXPECT_EQ(qwen2.num_shared_experts(), 4u);  // 5632 = 4 x 1408
  EXPECT_EQ(qwen2.num_dense_layers(), 0u);
  EXPECT_EQ(qwen2.head_dim(), 128u);
  ASSERT_EQ(notes.size(), 2u);  // head_dim absent, and the shared expert's approximation
  EXPECT_NE(notes[0].find("qwen2.json: head_dim absent; took 128 (elements per attention head)"), std::string::npos)
      << notes[0];
  EXPECT_NE(notes[1].find("the shared expert (width 5632) runs as 4 shared expert(s) of width 1408"),
            std::string::npos)
      << notes[1];

  pb::Model next;
  notes.clear();
  ApplyHfConfig(WriteTemp("next.json", R"({"model_type": "qwen3_next", "hidden_size": 2048,
    "num_hidden_layers": 48, "num_attention_heads": 16, "num_key_value_heads": 2, "head_dim": 256,
    "intermediate_size": 5120, "moe_intermediate_size": 512, "shared_expert_intermediate_size": 512,
    "num_experts": 512, "num_experts_per_tok": 10, "norm_topk_prob": true, "decoder_sparse_step": 1,
    "mlp_only_layers": [], "full_attention_interval": 4})"),
                next, &notes);
  EXPECT_EQ(next.num_layers(), 48u);
  EXPECT_EQ(next.num_experts(), 512u);
  EXPECT_EQ(next.top_k(), 10u);
  EXPECT_EQ(next.router(), pb::SOFTMAX_TOPK_RENORM);
  EXPECT_EQ(next.num_shared_experts(), 1u);
  EXPECT_EQ(next.num_kv_heads(), 2u);
  EXPECT_EQ(next.head_dim(), 256u);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[1].find("linear-attention (Gated DeltaNet) layers are timed as full attention"), std::string::npos);

  pb::Model glm;
  notes.clear();
  ApplyHfConfig(WriteTemp("glm.json", R"({"model_type": "glm4_moe", "hidden_size": 4096,
    "num_hidden_layers": 46, "num_attention_heads": 96, "num_key_value_heads": 8, "head_dim": 128,
    "intermediate_size": 10944, "moe_intermediate_size": 1408, "n_routed_experts": 128,
    "n_shared_experts": 1, "num_experts_per_tok": 8, "first_k_dense_replace": 1, "n_group": 1,
    "topk_group": 1, "norm_topk_prob": true, "routed_scaling_factor": 1.0,
    "num_nextn_predict_layers": 1})"),
                glm, &notes);
  EXPECT_EQ(glm.num_layers(), 45u);  // 46 minus the first dense layer (the MTP layer not counted)
  EXPECT_EQ(glm.num_dense_layers(), 1u);
  EXPECT_EQ(glm.dense_ffn_width(), 10944u);
  EXPECT_EQ(glm.expert_width(), 1408u);
  EXPECT_EQ(glm.num_experts(), 128u);
  EXPECT_EQ(glm.num_shared_experts(), 1u);
  EXPECT_EQ(glm.router(), pb::SIGMOID_GROUP_TOPK);
  EXPECT_EQ(glm.num_groups(), 1u);
  EXPECT_DOUBLE_EQ(glm.routed_scaling(), 1.0);
  EXPECT_EQ(glm.num_heads(), 96u);
  EXPECT_EQ(glm.num_kv_heads(), 8u);
  EXPECT_EQ(glm.head_dim(), 128u);
  EXPECT_EQ(glm.kv_bytes_per_token_layer(), 0u);  // GQA: the loader's default from heads
  EXPECT_TRUE(notes.empty()) << notes[0];          // every key it reads is in the file

  // A shared expert that is not a whole number of routed experts is refused.
  EXPECT_NE(ApplyError("odd.json", R"({"model_type": "qwen2_moe", "hidden_size": 64, "num_hidden_layers": 2,
    "num_attention_heads": 2, "moe_intermediate_size": 48, "shared_expert_intermediate_size": 100,
    "num_experts": 4, "num_experts_per_tok": 2})")
                .find("shared_expert_intermediate_size=100: expected a multiple of moe_intermediate_size (48)"),
            std::string::npos);
}

TEST(HfConfigTest, GraniteMoe) {
  pb::Model g;
  std::vector<std::string> notes;
  ApplyHfConfig(WriteTemp("granite.json", R"({"model_type": "granitemoe", "hidden_size": 1024,
    "num_hidden_layers": 24, "num_attention_heads": 16, "num_key_value_heads": 8, "intermediate_size": 512,
    "num_local_experts": 32, "num_experts_per_tok": 8})"),
                g, &notes);
  EXPECT_EQ(g.num_layers(), 24u);
  EXPECT_EQ(g.expert_width(), 512u);
  EXPECT_EQ(g.num_experts(), 32u);
  EXPECT_EQ(g.top_k(), 8u);
  EXPECT_EQ(g.router(), pb::TOPK_SOFTMAX);
  EXPECT_EQ(g.num_kv_heads(), 8u);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("head_dim absent; took 64"), std::string::npos) << notes[0];
}

TEST(HfConfigTest, EveryDefaultedKeyIsNoted) {
  pb::Model m;
  std::vector<std::string> notes;
  ApplyHfConfig(WriteTemp("sparse.json", R"({"model_type": "qwen3_moe", "num_hidden_layers": 4,
    "hidden_size": 256, "moe_intermediate_size": 64, "num_experts": 8, "num_experts_per_tok": 2,
    "num_attention_heads": 4})"),
                m, &notes);
  const std::vector<std::string> keys = {"norm_topk_prob absent; took true", "num_key_value_heads absent; took 4",
                                         "head_dim absent; took 64", "decoder_sparse_step absent; took 1",
                                         "mlp_only_layers absent; took []"};
  ASSERT_EQ(notes.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_NE(notes[i].find(keys[i]), std::string::npos) << notes[i];
}

TEST(HfConfigTest, BadFilesNameFileKeyValueAndExpectation) {
  struct Case {
    const char* name;
    const char* text;
    const char* message;  // after the path
  };
  const Case cases[] = {
      {"comma.json", "{\"model_type\": \"mixtral\",\n}", ":2:1: trailing comma before '}'"},
      {"array.json", "[1]", ":1:1: expected a JSON object at the top"},
      {"notype.json", "{\"hidden_size\": 8}", ": model_type=(missing): expected one of mixtral"},
      {"unknown.json", "{\"model_type\": \"llama\"}",
       ":1:16: model_type=\"llama\": expected one of mixtral, qwen2_moe, qwen3_moe, qwen3_next"},
      {"missing.json",
       R"({"model_type": "mixtral", "num_hidden_layers": 2, "intermediate_size": 8,
           "num_local_experts": 4, "num_experts_per_tok": 2, "num_attention_heads": 2})",
       ": hidden_size=(missing): expected an integer >= 1 (hidden size)"},
      {"string.json", "{\"model_type\": \"mixtral\", \"num_hidden_layers\": 2,\n \"hidden_size\": \"4096\"}",
       ":2:17: hidden_size=\"4096\": expected an integer >= 1 (hidden size)"},
      {"fraction.json", "{\"model_type\": \"olmoe\", \"num_hidden_layers\": 2.5}",
       ":1:46: num_hidden_layers=2.5: expected an integer >= 1"},
      {"topk.json",
       R"({"model_type": "mixtral", "num_hidden_layers": 2, "hidden_size": 8, "intermediate_size": 8,
           "num_local_experts": 4, "num_experts_per_tok": 5, "num_attention_heads": 2})",
       ": num_experts_per_tok=5: expected <= the routed experts per layer (4)"},
      {"llama.json", R"({"model_type": "llama4", "text_config": {"num_hidden_layers": 2}})",
       ": text_config.hidden_size=(missing)"},
      {"notext.json", R"({"model_type": "llama4"})", ": text_config=(missing): expected an object"},
      {"softmax.json",
       R"({"model_type": "deepseek_v3", "num_hidden_layers": 2, "hidden_size": 8,
           "moe_intermediate_size": 8, "n_routed_experts": 4, "num_experts_per_tok": 2,
           "num_attention_heads": 2, "qk_nope_head_dim": 4, "qk_rope_head_dim": 4,
           "kv_lora_rank": 4, "scoring_func": "softmax"})",
       ":4:47: scoring_func=\"softmax\": expected \"sigmoid\""},
      {"clamp.json",
       R"({"model_type": "gpt_oss", "num_hidden_layers": 2, "hidden_size": 8, "intermediate_size": 8,
           "num_local_experts": 4, "num_experts_per_tok": 2, "num_attention_heads": 2,
           "swiglu_limit": 10.0})",
       ":3:28: swiglu_limit=10.0: expected 7.0"},
      {"alldense.json",
       R"({"model_type": "deepseek_v3", "num_hidden_layers": 2, "hidden_size": 8,
           "intermediate_size": 32, "first_k_dense_replace": 2,
           "moe_intermediate_size": 8, "n_routed_experts": 4, "num_experts_per_tok": 2,
           "num_attention_heads": 2, "qk_nope_head_dim": 4, "qk_rope_head_dim": 4,
           "kv_lora_rank": 4})",
       ": num_hidden_layers=2: all 2 layers are dense; expected at least one MoE layer"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string e = ApplyError(c.name, c.text);
    EXPECT_NE(e.find(std::string(c.name) + c.message), std::string::npos) << e;
  }
}

}  // namespace
}  // namespace moefab
