// Finds fields the parser kept as unknown: they mean our schema lacks something
// (or the file is not what it claims), and a re-save would carry bytes we cannot show.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <google/protobuf/message.h>

namespace mlconv::spec {

struct UnknownField {
  std::string path;  // where in the message, e.g. "neuralNetwork.layers[3]"
  std::uint32_t number;
};

// Walks every nested message; repeated scalars are not iterated, so a 500 MB
// weight blob costs nothing here.
std::vector<UnknownField> find_unknown_fields(const google::protobuf::Message& message);

}  // namespace mlconv::spec
