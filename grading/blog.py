"""`make blog`: a small static site of the learner's own results, written up (build/blog/).

The posts are templates in notes/blog/ (Markdown with TOML front matter between `+++` lines, filled in by
Jinja2, rendered by markdown-it-py). They quote the learner's results through `fact("key", "format")` and
show the figures their phase 10 exercises draw through `figure("name", "caption")`:
    figures   from the implementation under --impl (exercises, solutions or a folder like exercises/)
    grades    build/grade/results.json, the last `make grade`
    capstone  the newest graded run under build/capstone/ (or --run RUN)
A figure or number that cannot be made (an unwritten exercise, no capstone run yet) becomes one line in the
post saying how to make it, and one line on the terminal; never a traceback. Every number a post quotes is
then checked against the results (phase 10's post_facts): a number none of them supports fails the build.
"""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from grading import BUILD, ROOT, UsageError, engine_env, first_line
from grading.trees import Tree

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

POSTS = ROOT / "notes" / "blog"
OUT = BUILD / "blog"
CACHE = BUILD / "blog-cache"
TEMPLATE = "blog.html"
SENTENCE = "O Romeo, Romeo! wherefore art thou Romeo?"
LENGTHS_TRAINED, LENGTHS_SHOWN = range(4, 11), range(4, 17)
PHASE10 = "phase10_blog_writing"
FIGURES = ("xor", "embeddings", "lengths", "parameters", "curves", "attention")
DRAW_TIMEOUT_S = 1800      # the length story trains 3 small decoders once per tree (cached): minutes on a CPU


@dataclass
class Results:
    """What the posts may cite: facts (name -> number or text), figures (name -> file), and what is missing."""
    facts: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)   # figure or source name -> the line that says how to make it


# ---------------------------------------------------------------- the learner's results

def grades(results: Results) -> None:
    path = BUILD / "grade" / "results.json"
    try:
        data = json.loads(path.read_text())
        results.facts.update({"grade.score": data["score"], "grade.max_score": data["extra_data"]["max_score"],
                              "grade.impl": data["extra_data"].get("impl")})
        for test in data["tests"]:
            phase = test["extra_data"]["phase"]
            for key in ("score", "max_score"):
                name = f"grade.phase{phase}.{key}"
                results.facts[name] = round(results.facts.get(name, 0) + test[key], 2)
    except FileNotFoundError:
        results.missing["grades"] = "no grades yet: run `make grade` (it writes build/grade/results.json)"
    except (ValueError, KeyError, TypeError) as err:
        results.missing["grades"] = f"{path} is not a grade report ({first_line(err)}): run `make grade` again"


def newest_graded_run(run: str | None) -> Path | None:
    from grading.capstone import record

    if run is not None:
        folder = record.find_run(run)
        if not (folder / record.GRADE).is_file():
            raise UsageError(f"capstone run {folder.name} is not graded yet: make capstone-grade run={folder.name}")
        return folder
    graded = {f.resolve() for f in record.runs() if (f / record.GRADE).is_file()}   # `latest` is one of them
    return max(graded, key=lambda f: (f / record.GRADE).stat().st_mtime) if graded else None


def capstone(results: Results, run: str | None) -> Path | None:
    folder = newest_graded_run(run)
    if folder is None:
        results.missing["capstone"] = ("no graded capstone run yet: `make capstone tier=smoke` then "
                                       "`make capstone-grade`")
        return None
    grade = json.loads((folder / "grade.json").read_text())
    for key in ("run_id", "tier", "device", "hardware", "test_loss", "val_loss", "target", "budget_s", "cpu_s",
                "wall_s", "step", "tokens", "points", "max_points", "clock", "passed"):
        results.facts[f"capstone.{key}"] = grade.get(key)
    results.facts["capstone.seen_s"] = grade.get(f"checkpoint_seen_{grade.get('clock')}_s")
    results.facts["capstone.impl"] = (grade.get("implementation") or {}).get("label")
    results.facts["capstone.sample"] = grade.get("sample") or ""
    return folder


# ---------------------------------------------------------------- the figures, from the learner's phase 10

def _figure(results: Results, name: str, out: Path, make) -> None:
    """make(path) draws the figure at path and returns its facts; any failure is one line in `missing`."""
    path = out / "figures" / f"{name}.png"
    try:
        facts = make(path)
    except (Exception, SystemExit) as err:  # noqa: BLE001 - an unwritten or broken exercise is a line, never a crash
        results.missing[name] = first_line(err)
        return
    results.figures[name] = path
    results.facts.update({f"{name}.{k}": v for k, v in facts.items()})


def draw_all(tree: Tree, results: Results, out: Path, run_folder: Path | None) -> None:
    def module(name):
        return tree.load(f"{PHASE10}.{name}")

    def xor(path):
        m = module("decision_boundary")
        data = m.xor_boundaries(seed=0)
        m.plot_xor_boundaries(data, path)
        return {"perceptron": data["perceptron"]["accuracy"], "mlp": data["mlp"]["accuracy"],
                "points": len(data["y"])}

    def embeddings(path):
        m = module("embedding_map")
        data = m.embedding_map(seed=0)
        m.plot_embedding_map(data, path)
        return {"explained1": float(data["explained"][0]), "explained2": float(data["explained"][1]),
                "purity": data["purity"], "words": len(data["words"]),
                **{f"neighbours.{w}": ", ".join(ns) for w, ns in data["neighbours"].items()}}

    def lengths(path):
        m = module("length_story")
        cache = CACHE / f"lengths-{_tree_hash(tree)}.json"
        if cache.is_file():
            series = json.loads(cache.read_text())
        else:
            decoders = m.train_decoders(steps=1500, seed=0, lengths=LENGTHS_TRAINED)
            series = m.length_series(decoders, LENGTHS_SHOWN, n=300, seed=1)
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(series))
        m.plot_length_series(series, path, trained_on=LENGTHS_TRAINED)
        facts = {}
        for short, accuracy in zip(("p2", "p4", "p5"), series["accuracy"].values()):
            facts.update({f"{short}.{L}": a for L, a in zip(series["lengths"], accuracy)})
        return facts

    def parameters(path):
        import torch

        gpt = tree.load("phase07_gpt_architecture.model")
        m = module("param_breakdown")
        with torch.device("meta"):
            model = gpt.GPT(gpt.GPTConfig())
        counts = m.count_by_component(model)
        m.plot_breakdown(counts, path)
        return {k.replace(" ", "_"): v for k, v in counts.items()}

    for name, make in (("xor", xor), ("embeddings", embeddings), ("lengths", lengths), ("parameters", parameters)):
        _figure(results, name, out, make)
    if run_folder is None:
        for name in ("curves", "attention"):
            results.missing[name] = results.missing["capstone"]
        return

    def curves(path):
        from grading.capstone.plot import reference_curve

        m = module("training_curves")
        reference = reference_curve(str(results.facts["capstone.tier"]))
        data = m.run_curves(run_folder, reference)
        m.plot_run_curves(data, path, reference, title=f"capstone run {run_folder.name}")
        speeds = data["train"]["tokens_per_s"]
        facts = {"tokens_per_s": statistics.median(speeds) if speeds else None,
                 "steps": data["train"]["step"][-1] if data["train"]["step"] else None,
                 "lr_max": max(data["train"]["lr"], default=None)}
        if data["versus"]["gap"]:
            facts.update({"gap_last": data["versus"]["gap"][-1], "tokens_last": data["versus"]["tokens"][-1]})
        return facts

    def attention(path):
        m = module("attention_map")
        model, encode, decode = trained_model(run_folder)
        ids = encode(SENTENCE)[: model.config.block_size]
        layer, head = model.config.n_layer - 1, 0
        import torch

        weights = m.attention_weights(model, torch.tensor([ids]), layer, head)
        tokens = [decode([i]) for i in ids]
        m.plot_attention(weights, tokens, path, f"layer {layer}, head {head} of run {run_folder.name}")
        top = m.most_attended(weights, tokens)
        return {"layer": layer, "head": head, "tokens": len(ids),
                "last_query": top[-1][0], "last_key": top[-1][1], "last_weight": top[-1][2]}

    _figure(results, "curves", out, curves)
    _figure(results, "attention", out, attention)


def draw_in_child(impl: str, results: Results, out: Path, run_folder: Path | None) -> None:
    """draw_all in a process of its own (`python -m grading.blog draw`), as every check runs: a learner's figure
    code that kills its process or hangs costs the figures (one line each), never the site."""
    asked, drawn = out / "draw-in.json", out / "draw-out.json"
    asked.write_text(json.dumps({"impl": impl, "facts": results.facts, "missing": results.missing,
                                 "run_folder": str(run_folder) if run_folder else None}, default=str))
    try:
        done = subprocess.run([sys.executable, "-m", "grading.blog", "draw", str(asked), str(drawn)], env=engine_env(),
                              capture_output=True, text=True, timeout=DRAW_TIMEOUT_S)
        why = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
    except subprocess.TimeoutExpired:
        done, why = None, f"drawing did not finish in {DRAW_TIMEOUT_S} s"
    if done is not None and done.returncode == 0 and drawn.is_file():
        back = json.loads(drawn.read_text())
        results.facts.update(back["facts"])
        results.missing.update(back["missing"])
        results.figures.update({name: Path(path) for name, path in back["figures"].items()})
    else:
        for name in FIGURES:
            results.missing.setdefault(name, f"the figures' process stopped: {why}")
    asked.unlink(missing_ok=True)
    drawn.unlink(missing_ok=True)


def _draw_child(asked: str, drawn: str) -> int:
    """(In the child) draw_all for the request in `asked`; what it made goes to `drawn`."""
    request = json.loads(Path(asked).read_text())
    results = Results(facts=request["facts"], missing=request["missing"])
    run_folder = Path(request["run_folder"]) if request["run_folder"] else None
    draw_all(Tree(request["impl"]), results, Path(drawn).parent, run_folder)
    Path(drawn).write_text(json.dumps({"facts": results.facts, "missing": results.missing,
                                       "figures": {k: str(v) for k, v in results.figures.items()}}, default=str))
    return 0


def _tree_hash(tree: Tree) -> str:
    from grading.capstone.record import tree_sha256

    return tree_sha256(tree.path)[:16]


def trained_model(folder: Path):
    """The run's checkpoint in the reference GPT (as the grader loads it), and the run's tokenizer."""
    import torch

    from data.prepare import load_meta
    from grading.capstone import record
    from grading.capstone.grade import load_weights, reference_gpt

    run = record.read_record(folder)
    config = run.get("model_config") or {}
    if config.get("variant", "gpt2") != "gpt2":
        raise UsageError(f"run {folder.name} trained the {config['variant']} variant; the attention map reads "
                         "phase 7's GPT-2 attention: train one with `make capstone tier=smoke`")
    model = reference_gpt(config)
    problem = load_weights(model, torch.load(folder / record.CKPT, map_location="cpu", weights_only=True)["model"])
    if problem:
        raise UsageError(f"run {folder.name}'s checkpoint does not load: {problem}")
    meta = load_meta(Path(run["data"]["dir"]))
    if meta["tokenizer"] == "char":
        chars = meta["chars"]
        return (model.eval(), lambda text: [chars.index(c) for c in text if c in chars],
                lambda ids: "".join(chars[i] for i in ids))
    from data.gpt2_tokenizer import tiktoken_gpt2

    encoding = tiktoken_gpt2()
    return model.eval(), encoding.encode_ordinary, encoding.decode


# ---------------------------------------------------------------- posts

@dataclass
class Post:
    source: Path
    meta: dict
    markdown: str

    @property
    def slug(self) -> str:
        return self.meta.get("slug") or self.source.stem


def read_post(path: Path) -> tuple[dict, str]:
    """(front matter, template text) of a post: TOML between a first line `+++` and the next `+++`."""
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.removeprefix("+++\n").partition("\n+++\n")
    if not text.startswith("+++\n") or not sep:
        raise UsageError(f"{path}: a post starts with TOML front matter between two lines of +++")
    try:
        meta = tomllib.loads(head)
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{path}: its front matter is not valid TOML: {err}") from None
    if "title" not in meta:
        raise UsageError(f"{path}: its front matter has no title")
    return meta, body


def render_posts(results: Results, posts_dir: Path, impl: str) -> list[Post]:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(posts_dir)), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)

    def has(*keys):
        return all(results.facts.get(k) is not None for k in keys)

    def fact(key, spec=""):
        if key not in results.facts or results.facts[key] is None:
            raise UsageError(f"no result {key!r} (known: {', '.join(sorted(results.facts)[:8])}, ...)")
        value = results.facts[key]
        return format(value, spec) if spec else str(value)

    def figure(name, caption):
        if name in results.figures:
            return f"![{caption}](figures/{name}.png)\n\n*{caption}*"
        return f"> **Figure not made yet** ({caption}): {results.missing.get(name, 'unknown figure ' + name)}"

    def missing(name):
        return results.missing.get(name)

    package = impl if impl in ("exercises", "solutions") else "solutions"
    posts = []
    for path in sorted(posts_dir.glob("*.md")):
        meta, body = read_post(path)
        try:
            markdown = env.from_string(body).render(fact=fact, has=has, figure=figure, missing=missing,
                                                    package=package, impl=impl, facts=results.facts)
        except jinja2.TemplateError as err:
            raise UsageError(f"{path}: {first_line(err)}") from None
        posts.append(Post(path, meta, markdown))
    return posts


def unsupported_numbers(posts: list[Post], results: Results, tree: Tree) -> list[str]:
    """One line for each number a post quotes that no result supports (phase 10's post_facts, the reference's
    when this copy has solutions/, else the learner's own)."""
    try:
        checker = Tree("solutions").load(f"{PHASE10}.post_facts")
    except Exception:  # noqa: BLE001 - a learner's copy without solutions/ (a release)
        checker = tree.load(f"{PHASE10}.post_facts")
    numbers = {k: v for k, v in results.facts.items() if isinstance(v, (int, float))}
    problems = []
    for post in posts:
        for shown in checker.unsupported(post.markdown, numbers, post.meta.get("given", [])):
            problems.append(f"{post.source.relative_to(ROOT) if post.source.is_relative_to(ROOT) else post.source} "
                            f"quotes {shown}, which none of your results supports (nor its front matter's given)")
    return problems


def write_site(posts: list[Post], results: Results, out: Path, impl: str) -> list[Path]:
    import jinja2
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(ROOT / "grading" / "templates")), autoescape=True)
    page = env.get_template(TEMPLATE)
    written = []
    for post in posts:
        target = out / f"{post.slug}.html"
        target.write_text(page.render(title=post.meta["title"], body=md.render(post.markdown), posts=posts,
                                      current=post, impl=impl, index=False), encoding="utf-8")
        written.append(target)
    (out / "index.html").write_text(page.render(title="What I built, from the perceptron to GPT-2", posts=posts,
                                                current=None, impl=impl, index=True, facts=results.facts,
                                                missing=results.missing, body=""), encoding="utf-8")
    return [out / "index.html", *written]


def missing_images(pages: list[Path]) -> list[str]:
    import re

    lines = []
    for page in pages:
        for src in re.findall(r'<img src="([^"]+)"', page.read_text()):
            if not (page.parent / src).is_file():
                lines.append(f"{page.name} shows {src}, which is not there")
    return lines


def build(impl: str = "exercises", out: Path | None = None, run: str | None = None, posts_dir=None) -> int:
    tree = Tree(impl)
    posts_dir = Path(posts_dir) if posts_dir else POSTS
    if not posts_dir.is_dir() or not any(posts_dir.glob("*.md")):
        raise UsageError(f"no posts in {posts_dir}: a folder of post templates (*.md) like notes/blog/")
    out = Path(out) if out else OUT
    if out.exists():
        shutil.rmtree(out)
    (out / "figures").mkdir(parents=True)
    results = Results()
    grades(results)
    folder = capstone(results, run)
    results.facts.update({"lengths.trained_max": max(LENGTHS_TRAINED), "lengths.shown_max": max(LENGTHS_SHOWN)})
    draw_in_child(impl, results, out, folder)
    posts = render_posts(results, posts_dir, impl)
    pages = write_site(posts, results, out, impl)
    (out / "facts.json").write_text(json.dumps({"impl": impl, "facts": results.facts, "missing": results.missing,
                                                "figures": sorted(results.figures)}, indent=1, default=str))
    for name, why in results.missing.items():
        print(f"blog: {name}: {why}")
    problems = unsupported_numbers(posts, results, tree) + missing_images(pages)
    for line in problems:
        print(f"blog: {line}", file=sys.stderr)
    print(f"blog: {pages[0]} ({len(posts)} posts, {len(results.figures)} of your figures"
          f"{', ' + str(len(results.missing)) + ' things not made yet' if results.missing else ''})")
    return 1 if problems else 0


if __name__ == "__main__":
    if sys.argv[1:2] != ["draw"] or len(sys.argv) != 4:
        sys.exit("usage: python -m grading.blog draw REQUEST.json RESULT.json (the engine's own call)")
    sys.exit(_draw_child(sys.argv[2], sys.argv[3]))
