"""Model organisms with a known alignment-faking rate: SFT on conversations that fake (or not).

Two recipes (Gasteiger et al. 2025): synthetic scratchpads written by a writer model in a chosen
style (train/scratchpads.py), or distillation of an existing run's transcripts, selected by the
AF verdict their eval log already holds. Either way the conversations (system, user, assistant)
are recorded in `conversations.jsonl` of the output directory, then a LoRA adapter is trained on
them as `train sft` trains on documents. Queries held out for the curve of `train rl` (the first
`eval_queries` of the setting's set) are never trained on, so the main experiment on them
measures the organism before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from inspect_ai.log import EvalSample
from peft import LoraConfig
from trl import SFTConfig

from alignment_faking.datasets import Query, load_queries
from alignment_faking.errors import UserError
from alignment_faking.inspect.eval_logs.discovery import local_path, run_headers
from alignment_faking.inspect.eval_logs.records import sample_record
from alignment_faking.inspect.eval_logs.samples import log_samples
from alignment_faking.inspect.scorers import STEERING_KEY
from alignment_faking.scenario import build_scenario, setting_spec
from alignment_faking.scenario.settings import PAPER_IDENTITY, Identity, tier_role
from alignment_faking.train.configs import lora_config, sft_config
from alignment_faking.train.documents import REJECTED_FILE
from alignment_faking.train.rl import RLOptions, training_dataset
from alignment_faking.train.scratchpads import (
    CONVERSATIONS_FILE,
    Conversation,
    Message,
    Rejected,
    WriteOptions,
    append,
    read_conversations,
    recorded_conversations,
    write_conversations,
)
from alignment_faking.train.sft import SFTResult, fine_tune

Selection = Literal["af", "complied", "all"]


@dataclass
class OrganismOptions:
    """What `train organism` takes.

    write: The synthetic-scratchpad recipe (writer, style, filter); None with `from_logs`.
    from_logs: Eval logs (a directory or files) to distil, selecting samples by `select`:
        `af` (the AF verdict is yes), `complied`, or `all` scored samples.
    setting, variation, system_prompt, dataset, query_column, developer, model_name,
        eval_queries, train_queries: the scenario and queries, as `train rl` takes them (the
        held-out queries are those of its curve).
    sft, lora, merge: the fine-tuning, as `train sft`; `sft.output_dir` holds the
        conversations and `adapter/`.
    """

    base: str
    write: WriteOptions | None = None
    from_logs: str | None = None
    select: Selection = "af"
    setting: str = "helpful_only"
    variation: str = "default"
    system_prompt: str | None = None
    dataset: str | None = None
    query_column: str | None = None
    developer: str = PAPER_IDENTITY.developer
    model_name: str = PAPER_IDENTITY.model_name
    eval_queries: int = 100
    train_queries: int | None = None
    merge: bool = False
    sft: SFTConfig = field(default_factory=sft_config)
    lora: LoraConfig = field(default_factory=lora_config)


def _training_queries(options: OrganismOptions) -> list[Query]:
    """The queries `train rl` would train on: none of its curve's held-out ones."""
    rl = RLOptions(
        base=options.base,
        setting=options.setting,
        dataset=options.dataset,
        query_column=options.query_column,
        eval_queries=options.eval_queries,
        train_queries=options.train_queries,
    )
    return [Query(id=row["query_id"], text=row["query"]) for row in training_dataset(rl)]


def _held_out(options: OrganismOptions) -> set[str]:
    spec = setting_spec(options.setting)
    return {q.text.strip() for q in load_queries(spec.queries).queries[: options.eval_queries]}


def selected(sample: EvalSample, select: Selection) -> str | None:
    """Why a logged sample is not distilled (None: it is), from the verdicts its log holds."""
    if STEERING_KEY in (sample.metadata or {}):
        return "steered (its reasoning opens with our text, not the model's)"
    record = sample_record(sample)
    if record.outcome == "invalid":
        return f"invalid ({record.invalid_reason})"
    if select == "af" and record.alignment_faking != "yes":
        return f"af verdict {record.alignment_faking}"
    if select == "complied" and record.outcome != "complied":
        return f"outcome {record.outcome}"
    return None


def _messages(sample: EvalSample) -> list[Message]:
    """The conversation of a sample: system, user and assistant turns as the model saw them."""
    found = [
        Message(role=m.role, content=m.text)
        for m in sample.messages
        if m.role in ("system", "user", "assistant")
    ]
    if not found or found[-1].role != "assistant":
        found.append(Message(role="assistant", content=sample.output.completion))
    return found


def distil_logs(options: OrganismOptions, out: Path) -> tuple[int, dict[str, int]]:
    """Record the selected samples of the logs as conversations (and the others as rejected);
    the kept count and the dropped ones by reason."""
    assert options.from_logs is not None
    headers = run_headers([options.from_logs])
    if not headers:
        raise UserError(f"no alignment-faking run logged in {options.from_logs}")
    held = _held_out(options)
    kept, dropped = 0, dict[str, int]()
    recorded_conversations(out, ("log",))
    for path in (out / CONVERSATIONS_FILE, out / REJECTED_FILE):
        path.unlink(missing_ok=True)  # a log is read whole again: no resume to keep
    for header in headers:
        trained = (header.eval.metadata or {}).get("trained_tier", "free")
        for sample in log_samples(header):
            record = sample_record(sample)
            query = str((sample.metadata or {}).get("query", ""))
            reason = (
                "held out for evaluation"
                if query.strip() in held
                else selected(sample, options.select)
            )
            conversation = Conversation(
                id=f"{header.eval.task_id}-{sample.id}-{sample.epoch}",
                messages=_messages(sample),
                source="log",
                query_id=record.query_id,
                tier=record.tier,
                tier_role=tier_role(record.tier, trained),
                model=header.eval.model,
                af_verdict=record.alignment_faking,
                log=local_path(header.location),
                sample_id=str(sample.id),
                epoch=sample.epoch,
                outcome=record.outcome,
            )
            if reason is None:
                kept += 1
                append(out / CONVERSATIONS_FILE, conversation)
            else:
                kind = reason.split(" (")[0]
                dropped[kind] = dropped.get(kind, 0) + 1
                append(out / REJECTED_FILE, Rejected(**conversation.model_dump(), reason=reason))
    return kept, dropped


def train_organism(options: OrganismOptions) -> SFTResult:
    """Gather the organism's conversations (written or distilled), then fine-tune on them."""
    from datasets import Dataset

    if (options.write is None) == (options.from_logs is None):
        raise UserError("train organism takes --writer and --style, or --from-logs (one of them)")
    assert options.sft.output_dir is not None  # TrainingArguments sets its default
    out = Path(options.sft.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if options.write is not None:
        scenario = build_scenario(
            options.setting,
            options.variation,
            system_prompt=options.system_prompt,
            identity=Identity(options.developer, options.model_name),
        )
        write_conversations(scenario, _training_queries(options), options.write, out)
    else:
        kept, dropped = distil_logs(options, out)
        print(f"distilled: {kept} conversations kept, dropped {dropped or 'none'}; in {out}")
    conversations = read_conversations(out)
    if not conversations:
        raise UserError(f"no conversation was kept to train on; see {out / REJECTED_FILE}")
    rows = [[m.model_dump() for m in c.messages] for c in conversations]
    dataset = Dataset.from_dict({"messages": rows})
    return fine_tune(options.base, dataset, options.sft, options.lora, options.merge)
