// The schema's defaults and enum ranges, read from configs/moefab.proto itself (its
// `default_value` and `default_rule` field options), so that the schema is the one place a
// default is written. The loader fills a copy of the parsed config with the defaults before it
// converts it; the config echoed in results.json is the one the user wrote.
#pragma once

#include <string>
#include <vector>

#include <google/protobuf/message.h>

#include "runtime/config/problems.h"

namespace moefab {

/// Sets every singular field left at 0, empty or *_UNSPECIFIED that has a `default_value`
/// option to that value, in `m` and in every message below it (absent sub-messages whose
/// type holds defaults are created, so `has_` of such a field says nothing afterwards: check
/// presence on the original).
void ApplySchemaDefaults(google::protobuf::Message& m);

/// Adds a problem for every enum field (singular or repeated, at any depth) whose number the
/// schema does not define: "path=N: expected one of A, B, C".
void CheckEnumValues(const google::protobuf::Message& m, Problems& p);

/// The default of field `path` ("Message.field", e.g. "Fabric.router_delay_ps") as written in
/// the schema, or "" when it has none.
std::string SchemaDefaultValue(const std::string& path);

/// Every field with a `default_value` (or with a `default_rule`) option, as "Message.field".
std::vector<std::string> FieldsWithDefaultValue();
std::vector<std::string> FieldsWithDefaultRule();

/// The fields whose `default_rule` the loader applies (the test compares this list with the
/// schema's, so a rule can neither be documented without code nor coded without a document).
const std::vector<std::string>& DefaultRulesApplied();

}  // namespace moefab
