"""The `scripted` Inspect model provider: dry runs and tests without network, keys or tokenizers.

`--model scripted/faker` (or `complier`, `refuser`) answers by a preset policy;
`scripted/trained` plays a model after RL (ShallowPolicy: a gap only under another developer);
`-M free=0.3 -M paid=0.05 -M seed=1` sets the per-tier compliance probabilities;
`scripted/judge` answers our judge prompts by simple rules (a toy judge for dry runs);
`scripted/writer` answers any prompt with a short list distinct per prompt (dry runs of
document generation).
Tests may pass `respond=callable(messages) -> str | ModelOutput` to script answers freely.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    modelapi,
)
from inspect_ai.tool import ToolChoice, ToolInfo

from alignment_faking.cost import estimate_tokens
from alignment_faking.doubles.scripted import (
    continuation,
    scripted_judge_answer,
    scripted_policy,
    scripted_writer_answer,
)

_DEFAULT_CONFIG = GenerateConfig()

Responder = Callable[[list[ChatMessage]], "str | ModelOutput"]


@modelapi(name="scripted")
class ScriptedModelAPI(ModelAPI):
    """Answers from a scripted policy, with token usage estimated offline."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = _DEFAULT_CONFIG,
        respond: Responder | None = None,
        free: float | None = None,
        paid: float | None = None,
        seed: int = 0,
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        if respond is None and model_name == "judge":
            respond = lambda messages: scripted_judge_answer(messages[-1].text)  # noqa: E731
        elif respond is None and model_name == "writer":
            respond = lambda messages: scripted_writer_answer(messages[-1].text)  # noqa: E731
        elif respond is None:
            policy = scripted_policy(model_name, free=free, paid=paid, seed=seed)
            respond = lambda messages: continuation(  # noqa: E731
                _prefill(messages),
                policy.respond(
                    _text(messages, ChatMessageSystem),
                    _text(messages, ChatMessageUser),
                    _prefill(messages),
                ),
            )
        self._respond = respond

    def max_connections(self) -> int:
        return 1000

    def _output(self, answer: str | ModelOutput) -> ModelOutput:
        """A responder's answer as the output a provider returns (a scripted output as it is)."""
        if isinstance(answer, ModelOutput):
            return answer
        return ModelOutput.from_content(model=self.model_name, content=answer)

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        answer = self._respond(input)
        output = self._output(answer)
        if not isinstance(answer, ModelOutput):
            # several choices in one request, as providers with num_choices return them
            for _ in range(1, config.num_choices or 1):
                output.choices.append(self._output(self._respond(input)).choices[0])
        if output.usage is None:
            prompt_tokens = sum(estimate_tokens(m.text) for m in input)
            completion_tokens = estimate_tokens(output.completion)
            output.usage = ModelUsage(
                input_tokens=prompt_tokens,
                output_tokens=completion_tokens,
                total_tokens=prompt_tokens + completion_tokens,
            )
        return output


def _prefill(messages: list[ChatMessage]) -> str:
    """The opening of the answer a conversation ends with, as a provider that continues one."""
    last = messages[-1] if messages else None
    return last.text if isinstance(last, ChatMessageAssistant) else ""


def _text(messages: list[ChatMessage], kind: type[ChatMessage]) -> str:
    return "\n\n".join(m.text for m in messages if isinstance(m, kind))
