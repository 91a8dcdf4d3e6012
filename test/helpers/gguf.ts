/**
 * Writes a tiny random-weight GGUF model so tests can run the real llama.cpp load, chat-template
 * and generation path with no downloaded weights. The model is a 2-layer llama with 32-dim
 * embeddings, F32 tensors and a SentencePiece-style vocabulary (specials, all 256 byte tokens,
 * printable ASCII and a few words) plus a ChatML chat template. It answers gibberish, fast.
 *
 * Format: GGUF v3 (little-endian): header, metadata key/values, tensor infos, then tensor data,
 * each tensor aligned to `general.alignment` bytes.
 */
import { writeFileSync } from "node:fs";

const ALIGNMENT = 32;

// GGUF metadata value types.
const T_UINT32 = 4;
const T_INT32 = 5;
const T_FLOAT32 = 6;
const T_BOOL = 7;
const T_STRING = 8;
const T_ARRAY = 9;

// ggml tensor type F32.
const GGML_F32 = 0;

// Token types as llama.cpp reads them.
const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;

const N_EMBD = 32;
const N_HEAD = 4;
const N_HEAD_KV = 2;
const N_FF = 64;
const N_LAYER = 2;
const CONTEXT_LENGTH = 4096;

const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

type Value =
  | { type: typeof T_UINT32 | typeof T_INT32 | typeof T_FLOAT32; value: number }
  | { type: typeof T_BOOL; value: boolean }
  | { type: typeof T_STRING; value: string }
  | { type: typeof T_ARRAY; of: typeof T_STRING; value: string[] }
  | { type: typeof T_ARRAY; of: typeof T_INT32 | typeof T_FLOAT32; value: number[] };

interface Tensor {
  name: string;
  /** ggml order: the first dimension is the contiguous (input) one. */
  dims: number[];
  data: Float32Array;
}

/** Growable little-endian byte writer. */
class Bytes {
  private chunks: Buffer[] = [];
  length = 0;

  push(buf: Buffer): void {
    this.chunks.push(buf);
    this.length += buf.length;
  }
  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    this.push(b);
  }
  i32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    this.push(b);
  }
  u64(n: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    this.push(b);
  }
  f32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(n);
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.push(b);
  }
  pad(): void {
    const rest = this.length % ALIGNMENT;
    if (rest !== 0) this.push(Buffer.alloc(ALIGNMENT - rest));
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function writeValue(out: Bytes, v: Value): void {
  out.u32(v.type);
  switch (v.type) {
    case T_UINT32:
      out.u32(v.value);
      break;
    case T_INT32:
      out.i32(v.value);
      break;
    case T_FLOAT32:
      out.f32(v.value);
      break;
    case T_BOOL:
      out.push(Buffer.from([v.value ? 1 : 0]));
      break;
    case T_STRING:
      out.str(v.value);
      break;
    case T_ARRAY:
      out.u32(v.of);
      out.u64(v.value.length);
      if (v.of === T_STRING) for (const s of v.value as string[]) out.str(s);
      else if (v.of === T_INT32) for (const n of v.value as number[]) out.i32(n);
      else for (const n of v.value as number[]) out.f32(n);
      break;
  }
}

/** mulberry32: a small seeded generator so the same seed writes the same file. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The vocabulary: ids 0-4 are special (unk, bos, eos, ChatML markers), then bytes, chars, words. */
function vocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens: string[] = [];
  const types: number[] = [];
  const add = (token: string, type: number) => {
    tokens.push(token);
    types.push(type);
  };
  add("<unk>", TOKEN_UNKNOWN);
  add("<s>", TOKEN_CONTROL);
  add("</s>", TOKEN_CONTROL);
  add("<|im_start|>", TOKEN_CONTROL);
  add("<|im_end|>", TOKEN_CONTROL);
  // Byte fallback: SentencePiece tokenizers need <0xXX> for every byte (newline among them).
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, TOKEN_BYTE);
  add("\u2581", TOKEN_NORMAL); // the SentencePiece space
  for (let c = 0x21; c <= 0x7e; c++) add(String.fromCharCode(c), TOKEN_NORMAL);
  for (const word of ["the", "a", "I", "choice", "Route", "A", "B", "invest", "keep", "money", "will", "and", "to"]) {
    add(`\u2581${word}`, TOKEN_NORMAL);
  }
  // Longer pieces score higher so the tokenizer prefers them; specials and bytes score 0.
  const scores = tokens.map((t, i) => (types[i] === TOKEN_NORMAL ? -1000 + t.length : 0));
  return { tokens, scores, types };
}

/** Writes the tiny model to `file` (about 200 KB). Same seed, same bytes. */
export function writeTinyGguf(file: string, opts: { seed?: number } = {}): void {
  const next = rng(opts.seed ?? 42);
  const vocab = vocabulary();
  const nVocab = vocab.tokens.length;
  const headDim = N_EMBD / N_HEAD;

  const random = (dims: number[], scale: number): Float32Array => {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (next() * 2 - 1) * scale;
    return data;
  };
  const ones = (n: number): Float32Array => new Float32Array(n).fill(1);

  const tensors: Tensor[] = [
    { name: "token_embd.weight", dims: [N_EMBD, nVocab], data: random([N_EMBD, nVocab], 1) },
    { name: "output_norm.weight", dims: [N_EMBD], data: ones(N_EMBD) },
    // Large enough that logits are not flat, so greedy decoding has a clear winner.
    { name: "output.weight", dims: [N_EMBD, nVocab], data: random([N_EMBD, nVocab], 0.5) },
  ];
  for (let l = 0; l < N_LAYER; l++) {
    const w = (name: string, dims: number[]) => tensors.push({ name: `blk.${l}.${name}`, dims, data: random(dims, 0.2) });
    tensors.push({ name: `blk.${l}.attn_norm.weight`, dims: [N_EMBD], data: ones(N_EMBD) });
    w("attn_q.weight", [N_EMBD, N_EMBD]);
    w("attn_k.weight", [N_EMBD, headDim * N_HEAD_KV]);
    w("attn_v.weight", [N_EMBD, headDim * N_HEAD_KV]);
    w("attn_output.weight", [N_EMBD, N_EMBD]);
    tensors.push({ name: `blk.${l}.ffn_norm.weight`, dims: [N_EMBD], data: ones(N_EMBD) });
    w("ffn_gate.weight", [N_EMBD, N_FF]);
    w("ffn_up.weight", [N_EMBD, N_FF]);
    w("ffn_down.weight", [N_FF, N_EMBD]);
  }

  const metadata: [string, Value][] = [
    ["general.architecture", { type: T_STRING, value: "llama" }],
    ["general.name", { type: T_STRING, value: "atp-tiny-test" }],
    ["general.alignment", { type: T_UINT32, value: ALIGNMENT }],
    ["general.file_type", { type: T_UINT32, value: 0 }], // all F32
    ["llama.context_length", { type: T_UINT32, value: CONTEXT_LENGTH }],
    ["llama.embedding_length", { type: T_UINT32, value: N_EMBD }],
    ["llama.block_count", { type: T_UINT32, value: N_LAYER }],
    ["llama.feed_forward_length", { type: T_UINT32, value: N_FF }],
    ["llama.attention.head_count", { type: T_UINT32, value: N_HEAD }],
    ["llama.attention.head_count_kv", { type: T_UINT32, value: N_HEAD_KV }],
    ["llama.rope.dimension_count", { type: T_UINT32, value: headDim }],
    ["llama.rope.freq_base", { type: T_FLOAT32, value: 10000 }],
    ["llama.attention.layer_norm_rms_epsilon", { type: T_FLOAT32, value: 1e-5 }],
    ["llama.vocab_size", { type: T_UINT32, value: nVocab }],
    ["tokenizer.ggml.model", { type: T_STRING, value: "llama" }],
    ["tokenizer.ggml.tokens", { type: T_ARRAY, of: T_STRING, value: vocab.tokens }],
    ["tokenizer.ggml.scores", { type: T_ARRAY, of: T_FLOAT32, value: vocab.scores }],
    ["tokenizer.ggml.token_type", { type: T_ARRAY, of: T_INT32, value: vocab.types }],
    ["tokenizer.ggml.unknown_token_id", { type: T_UINT32, value: 0 }],
    ["tokenizer.ggml.bos_token_id", { type: T_UINT32, value: 1 }],
    // ChatML models end their turn with <|im_end|>; making it EOS stops generation there.
    ["tokenizer.ggml.eos_token_id", { type: T_UINT32, value: 4 }],
    ["tokenizer.ggml.add_bos_token", { type: T_BOOL, value: true }],
    ["tokenizer.ggml.add_eos_token", { type: T_BOOL, value: false }],
    ["tokenizer.chat_template", { type: T_STRING, value: CHATML_TEMPLATE }],
  ];

  const out = new Bytes();
  out.push(Buffer.from("GGUF", "ascii"));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.length);
  for (const [key, value] of metadata) {
    out.str(key);
    writeValue(out, value);
  }
  let offset = 0;
  for (const t of tensors) {
    out.str(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(GGML_F32);
    out.u64(offset);
    offset += Math.ceil(t.data.byteLength / ALIGNMENT) * ALIGNMENT;
  }
  out.pad();
  for (const t of tensors) {
    out.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    out.pad();
  }
  writeFileSync(file, out.concat());
}
