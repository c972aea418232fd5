// The ONNX frontend: reads an .onnx file into the converter's graph IR. The file is
// treated as hostile (size checked before reading, protobuf nesting limited, external
// data confined to the model's directory and checked against its file size), then run
// through the ONNX checker and shape inference before it is converted.
//
// What the IR holds after loading:
//  - graph inputs are the ONNX inputs that have no initializer. An input that also has an
//    initializer (IR < 4 lists every weight as an input; IR >= 4 means "overridable
//    default") becomes a constant, since a converted model cannot override it.
//  - initializers and `Constant` nodes become values with `constant` set and no producer;
//    no Constant node is kept.
//  - element types and shapes come from the declarations and from ONNX shape inference.
//    A dimension ONNX names (dim_param) is that symbol. A dimension with neither size nor
//    name is a symbol "?1", "?2", ... numbered per model in reading order, so two unknown
//    dimensions never look equal; symbols that shape inference invents ("unk__0") are kept.
//  - nodes keep their names; an unnamed node is called "<op_type>_<index>", with its index
//    in its graph's node list (plus "_1", ... if that name is taken).
//  - an omitted optional input is a null entry in Node::inputs; an omitted optional output
//    in the middle of the list becomes a fresh value "<node>/omitted_<index>" that nothing
//    reads (trailing omitted outputs are dropped).
//  - graph attributes (If/Loop/Scan bodies) hold a child Graph with the parent's opset
//    imports; values the body reads from an enclosing graph are its outer_references().
//  - metadata: producer is "<producer_name> <producer_version>", doc the model's doc_string,
//    version its model_version, user_defined its metadata_props.
//  - locations name the file only (a binary format has no lines).
// Attribute types the IR has no form for (tensor or graph lists, sparse tensors, type
// protos), string constants and non-tensor values (sequences, maps, optionals) are refused
// with an error naming the node or value.
#pragma once

#include <filesystem>

#include "converter/ir/graph.h"

namespace mlconv::converter {

// Throws mlconv::Error naming the file (and the node, when one is at fault) for a file that
// is missing, too large, not ONNX (or a Core ML model given by mistake), rejected by the
// ONNX checker, or that uses what the IR cannot hold.
Graph load_onnx_graph(const std::filesystem::path& path);

}  // namespace mlconv::converter
