"""Phase 7 in one picture: where GPT-2 Small's 124,439,808 parameters live.

Counted two ways that must agree: from the shapes the config implies (phase 7's parameter_table) and from
the tensors of a built model, each tensor once (the output head is the token embedding, tied: Press & Wolf,
2017). Almost a third of the model is its vocabulary; the MLPs hold twice what the attention layers hold.
"""
from __future__ import annotations

from ..phase07_gpt_architecture.params import parameter_table

COMPONENTS = ("token embedding", "position embedding", "attention", "MLP", "layer norms")


def component_of(name: str) -> str:
    """The component a parameter of phase 7's GPT belongs to, from its name in model.named_parameters():
    transformer.wte.* and lm_head.* the token embedding, transformer.wpe.* the position embedding,
    *.attn.* attention, *.mlp.* MLP, *.ln_1.*, *.ln_2.* and transformer.ln_f.* layer norms.
    Any other name is a ValueError naming it."""
    raise NotImplementedError("component_of is not written yet (exercise 'parameter_breakdown'; hints: make hint ex=parameter_breakdown)")


def count_by_component(model) -> dict[str, int]:
    """{component: parameters} over COMPONENTS, in that order, then "total": every tensor counted once, so the
    tied head adds nothing (model.named_parameters() lists a shared tensor once; a state_dict lists it twice)."""
    raise NotImplementedError("count_by_component is not written yet (exercise 'parameter_breakdown'; hints: make hint ex=parameter_breakdown)")


def table_by_component(config) -> dict[str, int]:
    """The same table from the config alone, through phase 7's parameter_table: attention is n_layer x
    (attn.c_attn + attn.c_proj), the MLP n_layer x (mlp.c_fc + mlp.c_proj), layer norms n_layer x (ln_1 + ln_2)
    plus ln_f; then "total"."""
    raise NotImplementedError("table_by_component is not written yet (exercise 'parameter_breakdown'; hints: make hint ex=parameter_breakdown)")


def plot_breakdown(counts: dict[str, int], path, title: str = "GPT-2 Small") -> None:
    """Given: one horizontal bar per component, labelled with its count and share."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [c for c in COMPONENTS if c in counts]
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    bars = ax.barh(names[::-1], [counts[c] / 1e6 for c in names[::-1]], color="tab:blue")
    for bar, name in zip(bars, names[::-1]):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2,
                f"  {counts[name]:,} ({100 * counts[name] / counts['total']:.1f}%)", va="center", fontsize=8)
    ax.set_xlabel("millions of parameters")
    ax.set_xlim(0, 1.45 * max(counts[c] for c in names) / 1e6)
    ax.set_title(f"{title}: {counts['total']:,} parameters", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
