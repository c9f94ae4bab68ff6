import { create, createFileRegistry, toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  ServerReflection,
  type ServerReflectionRequest,
  type ServerReflectionResponseSchema,
} from "../../gen/es/grpc/reflection/v1/reflection_pb.js";

type Reply = MessageInitShape<typeof ServerReflectionResponseSchema>;

/**
 * grpc.reflection.v1: lets tools such as `buf curl` and `grpcurl` call the service without a
 * local copy of the protos. It describes only the schema, so it needs no key.
 */
export function reflectionHandlers(services: readonly DescService[]): ServiceImpl<typeof ServerReflection> {
  const all = [...services, ServerReflection];
  const files = new Map<string, DescFile>();
  const collect = (f: DescFile) => {
    if (files.has(f.name)) return;
    f.dependencies.forEach(collect); // the registry needs dependencies first
    files.set(f.name, f);
  };
  all.forEach((s) => collect(s.file));
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: [...files.values()].map((f) => f.proto) }));
  const encoded = new Map<string, Uint8Array>();
  const bytesOf = (f: DescFile) => {
    let b = encoded.get(f.name);
    if (!b) encoded.set(f.name, (b = toBinary(FileDescriptorProtoSchema, f.proto)));
    return b;
  };
  /** The file and everything it imports, dependencies first. */
  const withDeps = (file: DescFile): Uint8Array[] => {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (f: DescFile) => {
      if (seen.has(f.name)) return;
      seen.add(f.name);
      f.dependencies.forEach(visit);
      out.push(bytesOf(f));
    };
    visit(file);
    return out;
  };
  const fileOfSymbol = (symbol: string): DescFile | undefined => {
    const desc = registry.get(symbol);
    if (desc) return desc.file;
    // A method: package.Service.Method.
    const service = registry.getService(symbol.slice(0, symbol.lastIndexOf(".")));
    return service?.methods.some((m) => `${service.typeName}.${m.name}` === symbol) ? service.file : undefined;
  };
  const answer = (req: ServerReflectionRequest): Reply["messageResponse"] => {
    const notFound = (what: string) => ({ case: "errorResponse" as const, value: { errorCode: 5, errorMessage: `${what} not found` } });
    const m = req.messageRequest;
    switch (m.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: all.map((s) => ({ name: s.typeName })) } };
      case "fileByFilename": {
        const f = registry.getFile(m.value);
        return f ? { case: "fileDescriptorResponse", value: { fileDescriptorProto: withDeps(f) } } : notFound(`file ${m.value}`);
      }
      case "fileContainingSymbol": {
        const f = fileOfSymbol(m.value);
        return f ? { case: "fileDescriptorResponse", value: { fileDescriptorProto: withDeps(f) } } : notFound(`symbol ${m.value}`);
      }
      case "fileContainingExtension":
        return notFound(`extension ${m.value.containingType}/${m.value.extensionNumber}`);
      case "allExtensionNumbersOfType":
        return notFound(`extensions of ${m.value}`);
      default:
        return { case: "errorResponse", value: { errorCode: 3, errorMessage: "empty request" } };
    }
  };
  return {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield { validHost: req.host, originalRequest: req, messageResponse: answer(req) };
      }
    },
  };
}

export { ServerReflection };
