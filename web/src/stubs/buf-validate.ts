// Stands in for gen/es/buf/validate/validate_pb.ts in the dashboard bundle (scripts/build-web.mjs).
// Our protos import buf/validate/validate.proto for their validation rules, so the generated code
// boots that file's descriptors first; the browser never validates with them (the server and the
// Go and Python clients do), and they would be about 70 KB, a third of the bundle. This file has
// the same name and package and nothing else: our descriptors keep their rules as options that
// nothing here reads.
import { create, toBinary } from "@bufbuild/protobuf";
import { fileDesc, type GenFile } from "@bufbuild/protobuf/codegenv2";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { base64Encode } from "@bufbuild/protobuf/wire";

export const file_buf_validate_validate: GenFile = fileDesc(
  base64Encode(toBinary(FileDescriptorProtoSchema, create(FileDescriptorProtoSchema, { name: "buf/validate/validate.proto", package: "buf.validate" }))),
);
