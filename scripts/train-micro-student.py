#!/usr/bin/python3
"""Train pocket-agent's micro-student: a tiny qwen2-architecture decoder, on the SFT data of the
arithmetic family, and write it as a GGUF that llama.cpp (node-llama-cpp) runs.

A test and demo model, not a general agent. See models/micro/README.md for the whole recipe:

    # 1. questions (seed 1), 2. the programmatic teacher, 3. teach -> filter, 4. sft export
    node bin/run-ts.js scripts/micro-questions.ts --count 4000 --seed 1 --name arithmetic_train_seed1 --out runs/micro/train.json
    node bin/run-ts.js scripts/arithmetic-teacher.ts --port 8123 &
    npx pocket-agent teach --questions runs/micro/train.json --base-url http://127.0.0.1:8123/v1 \
        --model arithmetic-teacher --prompt-pack models/micro/pack.yaml --task math --temperature 0 \
        --max-steps 2 --concurrency 2 --out runs/micro/teach
    npx pocket-agent sft export --in runs/micro/teach/trajectories.jsonl --out runs/micro/sft.jsonl \
        --prompt-pack models/micro/pack.yaml --tools final_answer
    # 5. this script (Debian: apt-get install python3-torch libopenblas0-pthread; torch 1.13)
    nice -n 19 /usr/bin/python3 scripts/train-micro-student.py --sft runs/micro/sft.jsonl --out models/micro/micro-arith.gguf

What it does:
- Tokenizer: byte-level, no merges. Token id = byte value (0..255, in GPT-2's byte-to-unicode spelling in
  the GGUF, as tests/support/tiny-gguf.ts spells them), then <|endoftext|> 256, <|im_start|> 257,
  <|im_end|> 258. With no merges, llama.cpp's BPE tokenizer maps every byte to its own token, so the ids
  here are exactly llama.cpp's (the GGUF step checks it).
- Data: the programmatic teacher right-aligns the expression after `result =` (see
  src/distill/arithmetic.ts), so copying it from the question is a fixed-distance lookup; the student
  learns that in ~200 steps (unaligned, two attempts of 200 and 250 steps had not started to copy).
- Text: each SFT example rendered as Qwen2.5's chat template renders it (the GGUF carries that
  template): "<|im_start|>{role}\\n{content}<|im_end|>\\n" per message. Loss on the assistant turns only
  (their content and the closing <|im_end|>), never on the system prompt, the task or observations.
- Model: qwen2 (RMSNorm, GQA attention with q/k/v biases, RoPE in NEOX layout = Hugging Face's
  rotate_half, SwiGLU MLP, untied output), sizes below; AdamW with warmup and cosine decay; seeded.
- Output: the float32 weights in GGUF layout (a torch Linear weight [out, in] is stored as is, with
  ggml dims [in, out]), a reference forward pass for one prompt, then scripts/micro-gguf.ts writes the
  GGUF with the project's GGUF writer and checks llama.cpp's tokens, next-token probabilities and greedy
  text against this reference.
"""

import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
BYTE_VOCAB = 256
VOCAB = BYTE_VOCAB + len(SPECIALS)
ENDOFTEXT, IM_START, IM_END = 256, 257, 258


def encode(text):
    """Byte-level ids, with the ChatML special tokens recognised in the text (as llama.cpp does)."""
    ids = []
    i = 0
    while i < len(text):
        for k, special in enumerate(SPECIALS):
            if text.startswith(special, i):
                ids.append(BYTE_VOCAB + k)
                i += len(special)
                break
        else:
            j = i
            while j < len(text) and not any(text.startswith(s, j) for s in SPECIALS):
                j += 1
            ids.extend(text[i:j].encode("utf-8"))
            i = j
    return ids


def decode(ids):
    out = bytearray()
    for t in ids:
        if t < BYTE_VOCAB:
            out.append(t)
        else:
            out.extend(SPECIALS[t - BYTE_VOCAB].encode())
    return out.decode("utf-8", errors="replace")


def render(messages, add_generation_prompt=False):
    """Qwen2.5's chat template for conversations that start with a system message and have no tools."""
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")


def example_tensors(messages):
    """Token ids and loss mask (1 on assistant content and its <|im_end|>) of one SFT example."""
    ids, mask = [], []
    for m in messages:
        head = encode(f"<|im_start|>{m['role']}\n")
        body = encode(m["content"]) + [IM_END]
        tail = encode("\n")
        train = 1 if m["role"] == "assistant" else 0
        ids += head + body + tail
        mask += [0] * len(head) + [train] * len(body) + [0] * len(tail)
    return ids, mask


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(seq, head_dim, theta):
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    freqs = torch.outer(torch.arange(seq, dtype=torch.float32), inv)
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        hd = c["hidden"] // c["heads"]
        self.attn_norm = RMSNorm(c["hidden"], c["eps"])
        self.q = nn.Linear(c["hidden"], c["heads"] * hd, bias=True)
        self.k = nn.Linear(c["hidden"], c["kv_heads"] * hd, bias=True)
        self.v = nn.Linear(c["hidden"], c["kv_heads"] * hd, bias=True)
        self.o = nn.Linear(c["heads"] * hd, c["hidden"], bias=False)
        self.ffn_norm = RMSNorm(c["hidden"], c["eps"])
        self.gate = nn.Linear(c["hidden"], c["ffn"], bias=False)
        self.up = nn.Linear(c["hidden"], c["ffn"], bias=False)
        self.down = nn.Linear(c["ffn"], c["hidden"], bias=False)

    def forward(self, x, cos, sin, causal):
        c = self.c
        b, t, _ = x.shape
        hd = c["hidden"] // c["heads"]
        h = self.attn_norm(x)
        q = self.q(h).view(b, t, c["heads"], hd).transpose(1, 2)
        k = self.k(h).view(b, t, c["kv_heads"], hd).transpose(1, 2)
        v = self.v(h).view(b, t, c["kv_heads"], hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = c["heads"] // c["kv_heads"]
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        att = att.masked_fill(causal[:t, :t], float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, c["heads"] * hd)
        x = x + self.o(y)
        h = self.ffn_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Qwen2Tiny(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed = nn.Embedding(VOCAB, c["hidden"])
        self.blocks = nn.ModuleList(Block(c) for _ in range(c["layers"]))
        self.norm = RMSNorm(c["hidden"], c["eps"])
        self.lm_head = nn.Linear(c["hidden"], VOCAB, bias=False)
        cos, sin = rope_tables(c["context"], c["hidden"] // c["heads"], c["rope_theta"])
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        causal = torch.triu(torch.ones(c["context"], c["context"], dtype=torch.bool), 1)
        self.register_buffer("causal", causal, persistent=False)
        for name, p in self.named_parameters():
            if name.endswith(".bias"):
                nn.init.zeros_(p)
            elif p.dim() == 2:
                std = 0.02 / math.sqrt(2 * c["layers"]) if name.endswith(("o.weight", "down.weight")) else 0.02
                nn.init.normal_(p, std=std)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.embed(ids)
        cos, sin = self.cos[:t], self.sin[:t]
        for block in self.blocks:
            x = block(x, cos, sin, self.causal)
        return self.lm_head(self.norm(x))


def gguf_tensors(model):
    """(name, ggml dims, float32 tensor) in the order and names of llama.cpp's qwen2 loader."""
    out = [("token_embd.weight", model.embed.weight)]
    for i, b in enumerate(model.blocks):
        p = f"blk.{i}."
        out += [
            (p + "attn_norm.weight", b.attn_norm.weight),
            (p + "attn_q.weight", b.q.weight), (p + "attn_q.bias", b.q.bias),
            (p + "attn_k.weight", b.k.weight), (p + "attn_k.bias", b.k.bias),
            (p + "attn_v.weight", b.v.weight), (p + "attn_v.bias", b.v.bias),
            (p + "attn_output.weight", b.o.weight),
            (p + "ffn_norm.weight", b.ffn_norm.weight),
            (p + "ffn_gate.weight", b.gate.weight),
            (p + "ffn_up.weight", b.up.weight),
            (p + "ffn_down.weight", b.down.weight),
        ]
    out += [("output_norm.weight", model.norm.weight), ("output.weight", model.lm_head.weight)]
    # ggml lists dims fastest-first: a row-major [out, in] matrix is ne0 = in, ne1 = out.
    return [(name, list(reversed(t.shape)), t.detach().float().contiguous()) for name, t in out]


@torch.no_grad()
def greedy(model, ids, max_new, stop_text="<end_code>"):
    ids = list(ids)
    steps = []
    for _ in range(max_new):
        logits = model(torch.tensor([ids]))[0, -1]
        probs = logits.softmax(-1)
        top = torch.topk(probs, 5)
        token = int(top.indices[0])
        steps.append({"token": token, "top": [[int(i), float(p)] for p, i in zip(top.values, top.indices)]})
        ids.append(token)
        if token == IM_END or decode([s["token"] for s in steps]).find(stop_text) >= 0:
            break
    return steps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sft", required=True, help="SFT JSONL from `pocket-agent sft export`")
    ap.add_argument("--out", required=True, help="the GGUF to write")
    ap.add_argument("--work", default=None, help="folder for the weight dump (default: next to --out)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--ffn", type=int, default=256)
    ap.add_argument("--context", type=int, default=512, help="training and GGUF context length")
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--max-minutes", type=float, default=20.0, help="stop training early past this")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--probes", type=int, default=8, help="greedy spot checks after training")
    ap.add_argument("--reference-tokens", type=int, default=100, help="greedy tokens of the GGUF check")
    ap.add_argument("--no-gguf", action="store_true", help="stop after training (no Node step)")
    args = ap.parse_args()

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    config = {
        "hidden": args.hidden, "layers": args.layers, "heads": args.heads, "kv_heads": args.kv_heads,
        "ffn": args.ffn, "context": args.context, "eps": 1e-6, "rope_theta": 10000.0,
    }

    examples = [json.loads(line)["messages"] for line in open(args.sft, encoding="utf-8") if line.strip()]
    data = [example_tensors(m) for m in examples]
    data = [d for d in data if len(d[0]) <= args.context]
    lengths = sorted(len(d[0]) for d in data)
    print(f"{len(data)} examples, tokens/example median {lengths[len(lengths) // 2]} max {lengths[-1]}",
          flush=True)

    model = Qwen2Tiny(config)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {config}, {n_params} parameters ({n_params * 4 / 1e6:.1f} MB as float32)", flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr, betas=(0.9, 0.98),
    )

    budget = args.max_minutes * 60

    def lr_at(step, elapsed=0.0):
        # Warmup, then cosine decay to 10% over whichever runs out first: the steps or the time budget
        # (on a busy machine the budget ends training early, still with a decayed learning rate).
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        progress = max((step - args.warmup) / max(1, args.steps - args.warmup), elapsed / budget)
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))

    order = []
    start = time.time()
    model.train()
    step = 0
    for step in range(args.steps):
        if not order:
            order = list(range(len(data)))
            random.shuffle(order)
        batch = [data[order.pop()] for _ in range(min(args.batch, len(order)))]
        t = max(len(ids) for ids, _ in batch)
        ids = torch.full((len(batch), t), ENDOFTEXT, dtype=torch.long)
        mask = torch.zeros((len(batch), t), dtype=torch.float32)
        for r, (x, m) in enumerate(batch):
            ids[r, : len(x)] = torch.tensor(x)
            mask[r, : len(m)] = torch.tensor(m, dtype=torch.float32)
        logits = model(ids[:, :-1])
        loss_tok = F.cross_entropy(logits.reshape(-1, VOCAB), ids[:, 1:].reshape(-1), reduction="none")
        target_mask = mask[:, 1:].reshape(-1)
        loss = (loss_tok * target_mask).sum() / target_mask.sum()
        lr = lr_at(step, time.time() - start)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        elapsed = time.time() - start
        if step % 25 == 0 or step == args.steps - 1:
            print(f"step {step} loss {loss.item():.4f} lr {lr:.2e} {elapsed:.0f}s", flush=True)
        if elapsed > budget:
            print(f"time budget reached at step {step}", flush=True)
            break
    train_seconds = time.time() - start
    model.eval()

    # A quick greedy check on held-out-like prompts (the training prompts' layout, new expressions).
    rng = random.Random(12345)
    system = examples[0][0]["content"]
    ok = 0
    probes = []
    for _ in range(args.probes):
        expr = f"{rng.randint(0, 999)}{rng.choice('+-*')}{rng.randint(0, 999)}{rng.choice('+-*')}{rng.randint(0, 99)}"
        probes.append(expr)
    for expr in probes:
        prompt = render([{"role": "system", "content": system}, {"role": "user", "content": f"New task:\nWhat is {expr}?"}], True)
        text = decode([s["token"] for s in greedy(model, encode(prompt), 120)])
        ok += re.search(r"result = +" + re.escape(expr) + "\n", text) is not None
    if probes:
        print(f"greedy probe: {ok}/{len(probes)} copy the expression", flush=True)

    out = os.path.abspath(args.out)
    work = os.path.abspath(args.work or os.path.dirname(out))
    os.makedirs(work, exist_ok=True)
    base = os.path.join(work, os.path.splitext(os.path.basename(out))[0])
    tensors = gguf_tensors(model)
    manifest = {"config": config, "parameters": n_params, "seed": args.seed, "steps": step + 1,
                "train_seconds": round(train_seconds), "examples": len(data), "tensors": []}
    offset = 0
    with open(base + ".weights.bin", "wb") as f:
        for name, dims, t in tensors:
            raw = t.numpy().astype("<f4").tobytes()
            f.write(raw)
            manifest["tensors"].append({"name": name, "dims": dims, "offset": offset, "count": t.numel()})
            offset += len(raw)
    # Reference forward pass for the GGUF check: the question, greedy, with top-5 probabilities.
    prompt = render([{"role": "system", "content": system},
                     {"role": "user", "content": "New task:\nWhat is 17*23+1?"}], True)
    manifest["reference"] = {"prompt": prompt, "prompt_ids": encode(prompt), "steps": greedy(model, encode(prompt), args.reference_tokens)}
    print("reference completion:", json.dumps(decode([s["token"] for s in manifest["reference"]["steps"]])), flush=True)
    with open(base + ".weights.json", "w", encoding="utf-8") as f:
        json.dump(manifest, f)
    print(f"trained {step + 1} steps in {train_seconds:.0f}s; weights in {base}.weights.bin", flush=True)
    if args.no_gguf:
        return
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run(["node", os.path.join(root, "bin", "run-ts.js"), os.path.join(root, "scripts", "micro-gguf.ts"),
                    base + ".weights.json", base + ".weights.bin", out], check=True, cwd=root)


if __name__ == "__main__":
    sys.exit(main())
