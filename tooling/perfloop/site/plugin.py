"""The `perfloop` MkDocs plugin: generates the site's pages from `cycles/` at build time.

It uses MkDocs' public plugin API (`BasePlugin`, `config_options`, `File.generated`,
`InclusionLevel`, `get_relative_url`) and, to know whether strict mode will abort a build
it is about to swap in (staging.py), `mkdocs.utils.CountHandler`; so the site can move to
another MkDocs-compatible engine. Nothing it generates is written to `docs_dir`.
"""

from __future__ import annotations

import atexit
import logging
import re
import time
from collections.abc import Callable
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page as MkPage
from mkdocs.structure.toc import get_toc
from mkdocs.utils import CountHandler

from .. import schema
from ..heap import release
from ..repository import CYCLES, current_cycle_id, cycle_ids
from ..schemaref import SCHEMAS
from . import fences, leaks, staging
from .audience import Audience, AudienceError
from .layout import ARCHIVE, ARCHIVE_INDEX, Layout, Linker
from .loading import keep_plans_of, load_for_site, load_outline
from .markup import attr, plural, text
from .pages import Page, archive, checkpoint, department, okrtree, overview, person
from .producer import Producer, Setup
from .view import CycleView

log = logging.getLogger("mkdocs.plugins.perfloop")

CSS = "assets/perfloop/perfloop.css"
HOME_MARKER = "<!-- perfloop:summary -->"
# What a home page shows between HOME_MARKER and HOME_END is for a build without this
# plugin (another generator, or mkdocs.yml without it): a visible notice whose link to a
# generated page fails a strict build. The plugin replaces it with the summary.
HOME_END = "<!-- /perfloop:summary -->"
_HOME_BLOCK = re.compile(rf"{re.escape(HOME_MARKER)}(?:.*?{re.escape(HOME_END)})?", re.S)
SUMMARY_BLOCK = "perfloop:summary-block-"
_SUMMARY_MARKER = re.compile(rf"<!--{SUMMARY_BLOCK}(\d)-->")
MAX_LISTED_PROBLEMS = 20
MAX_LISTED_LEAKS = 10


class PerfloopConfig(Config):
    cycles_dir = c.Type(str, default=CYCLES)  # relative to mkdocs.yml
    audience = c.Type(str, default="public")  # public | hr | dept:D | person:P
    cycle = c.Optional(c.Type(str))  # the current cycle; default: the latest open one
    archive = c.Type(bool, default=True)  # pages for earlier cycles
    git_history = c.Type(bool, default=True)  # check-in points from the git history
    nav = c.Type(bool, default=True)  # build the nav when mkdocs.yml sets none
    parallel = c.Type(bool, default=True)  # build pages in a second process (a spare core)
    # where the forge edits the repository's files, e.g. https://github.com/ORG/REPO/edit/main/;
    # default: repo_url and edit_uri, when edit_uri ends with docs_dir
    edit_url = c.Optional(c.Type(str))


class PerfloopPlugin(BasePlugin[PerfloopConfig]):
    def __init__(self) -> None:
        self.audience = Audience("public")
        # A restricted audience comes only from `perfloop site --audience`, which sets this
        # and writes outside the public folder; never from mkdocs.yml (see on_config).
        self.granted: Audience | None = None
        self.root = Path(".")
        self._titles: dict[str, str] = {}  # generated page (source path) -> its title
        self._producer: Producer | None = None  # builds the generated pages' HTML
        self._full: dict[str, str] = {}  # a page's content while the search plugin reads it
        self._banner = ""  # on every page of a restricted build (audience.banner)
        self._unsearched: set[str] = set()  # generated pages the search index leaves out
        self._sources: dict[str, str] = {}  # output file -> the file it was made from
        self._articles: frozenset[str] = frozenset()  # output files of generated pages
        self._config: MkDocsConfig | None = None
        self._final: Path | None = None  # site_dir as configured: the last good site
        self._stage: Path | None = None  # where this build writes (see staging.py)
        self._edits: dict[str, tuple[str, str]] = {}  # page -> (file's forge URL, label)
        # when the last leak scan started (time.time_ns): `perfloop site` scans again only
        # what was written after it (by a plugin or hook running later)
        self.scanned_since: int | None = None

    # --- configuration -------------------------------------------------------------------

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        try:
            configured = Audience.parse(self.config.audience)
        except AudienceError as exc:
            raise PluginError(f"perfloop: {exc}") from None
        if configured.restricted:
            # `mkdocs build` is how the public site is published: one approval of
            # mkdocs.yml must not turn it into a site of everyone's results.
            raise PluginError(
                f"perfloop: {Path(config.config_file_path or 'mkdocs.yml').name} sets "
                f"audience: {configured}, but the site MkDocs "
                f"builds is the public one; build a restricted site with "
                f"`perfloop site --audience {configured}` (into build/site-{configured.slug}/)"
            )
        self.audience = self.granted or configured
        base = Path(config.config_file_path or ".").resolve().parent
        cycles = (base / self.config.cycles_dir).resolve()
        if cycles.name != CYCLES or not cycles.is_dir():
            raise PluginError(
                f"perfloop: cycles_dir must name an existing '{CYCLES}' folder; got {cycles}"
            )
        self.root = cycles.parent
        problems = fences.config_problems(config, self.root, cycles)
        if problems:
            raise PluginError("perfloop: " + "\nperfloop: ".join(problems))
        if CSS not in config.extra_css:
            config.extra_css.append(CSS)
        # last: nothing may fail after the stage exists but the build itself
        final = Path(config.site_dir).resolve()
        for kept in (cycles, Path(config.docs_dir).resolve()):
            if fences.around(final, kept):  # the swap would replace it with the site
                raise PluginError(
                    f"perfloop: the site folder {final} would replace {kept}; "
                    "give the site a folder of its own"
                )
        self._config = config
        self._final = final
        self._stage = staging.stage_for(self._final)
        atexit.register(staging.discard, self._stage)  # interrupted (Ctrl-C): no leftovers
        config.site_dir = str(self._stage)
        return config

    def on_serve(self, server, config: MkDocsConfig, builder):
        server.watch(str(self.root / CYCLES))
        return server

    # --- pages ---------------------------------------------------------------------------

    def _cycles(self) -> tuple[str, list[str]]:
        """The current cycle and the earlier ones the site shows."""
        ids = cycle_ids(self.root)
        current = self.config.cycle or current_cycle_id(self.root)
        if not ids or current not in ids:
            raise PluginError(
                f"perfloop: no cycle {current!r} under {self.root / CYCLES}"
                if current
                else f"perfloop: no cycles under {self.root / CYCLES}"
            )
        earlier = [cid for cid in ids if cid != current] if self.config.archive else []
        return current, earlier

    def on_pre_build(self, config: MkDocsConfig) -> None:
        # With a spare core, a worker process starts loading and checking the cycles now,
        # then builds the pages (see producer.py); this process reads the cycles' outlines
        # only (titles, links, navigation).
        self._close()
        if not self.config.parallel:
            return
        try:
            current, earlier = self._cycles()
        except PluginError:
            return  # on_files reports it
        cycles = [current, *earlier]
        self._producer = Producer.forked(
            lambda: self._views(cycles, current),
            lambda full, message: self._setup(full, config, *message),
        )

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        problems = fences.file_problems(files, self.root, (self.root / CYCLES).resolve())
        if problems:
            raise PluginError("perfloop: " + "\nperfloop: ".join(problems))
        # what wrote each output file, to name a page that leaks (on_post_build)
        self._sources = {
            f.dest_uri: _relative(f.abs_src_path, self.root) for f in files if f.abs_src_path
        }
        current, earlier = self._cycles()
        cycles = [current, *earlier]
        layouts = {cid: Layout(cid, cid == current) for cid in cycles}
        views = self._outlines(cycles) if self._producer is not None else None
        if views is None:
            self._close()
            views = self._views(cycles, current)
        problem = self.audience.check(views[current].data)
        if problem:
            raise PluginError(f"perfloop: {problem}")
        self._banner = self.audience.banner(views[current].data.org)
        home = "index.md" not in files.src_uris
        plan = self._plan(views, layouts, current, earlier, config, home)
        urls = self._generate(files, config, plan)
        self._articles = frozenset(
            f.dest_uri for u in self._titles if (f := files.get_file_from_path(u)) is not None
        )
        self._edits = self._editable(views[current], layouts[current], config)
        # Earlier cycles' people pages stay out of the search index: each cycle would add
        # as much as the current one, and a name would find one page per cycle (the
        # current page links to the earlier ones).
        self._unsearched = {layouts[e].person(pid) for e in earlier for pid in views[e].org.people}
        if self._producer is not None:
            order = list(self._titles)
            self._producer.plan((home, urls, order), order)
        else:
            self._producer = Producer.here(
                lambda: self._setup(views, config, home, urls, list(self._titles))
            )
        if config.nav is None and self.config.nav:
            config.nav = self._nav(files, views[current], layouts[current], bool(earlier))
        return files

    def _editable(self, view: CycleView, layout: Layout, config: MkDocsConfig) -> dict:
        """The current cycle's pages whose file a reader may change by a pull request (a
        person's goals, a department's or the company's objectives): page -> (the file's
        edit URL on the forge, what the link says). Nothing without a forge to edit on."""
        base = edit_base(self.config.edit_url, config, self.root)
        if base is None:
            return {}
        folder = f"{base}{CYCLES}/{view.data.id}/"
        out = {layout.tree: (f"{folder}company.yaml", "Edit the company's objectives")}
        for dept in view.org.departments:
            out[layout.department(dept)] = (
                f"{folder}departments/{dept}.yaml",
                "Edit this department's objectives",
            )
        for pid in view.org.people:
            out[layout.person(pid)] = (f"{folder}goals/{pid}.yaml", "Edit these goals")
        return {uri: found for uri, found in out.items() if uri in self._titles}

    def _setup(
        self,
        full: dict[str, CycleView],
        config: MkDocsConfig,
        home: bool,
        urls: dict[str, str],
        uris: list[str],
    ) -> Setup:
        """The builders of the generated pages `uris` and the home page's summary, from the
        loaded cycles (in the worker, or here)."""
        current, earlier = self._cycles()
        layouts = {cid: Layout(cid, cid == current) for cid in full}
        built = self._plan(full, layouts, current, earlier, config, home)
        return Setup(
            builders={uri: partial(_link_and_build, built[uri][2], urls, uri) for uri in uris},
            summary=lambda: overview.summary_blocks(
                full[current], layouts[current], Linker(urls, "index.md"), self.audience
            ),
        )

    def _outlines(self, cycles: list[str]) -> dict[str, CycleView] | None:
        """Each cycle's cycle.yaml and org.yaml; None when one has errors."""
        views = {}
        for cid in cycles:
            data = load_outline(self.root, cid)
            if data is None:
                return None
            views[cid] = CycleView(data, history=False)
        return views

    def _views(self, cycles: list[str], current: str) -> dict[str, CycleView]:
        # git history only for the current cycle: a closed cycle's check-ins are in its file
        return {cid: self._view(cid, cid == current) for cid in cycles}

    def _plan(
        self,
        views: dict[str, CycleView],
        layouts: dict[str, Layout],
        current: str,
        earlier: list[str],
        config: MkDocsConfig,
        generate_home: bool,
    ) -> dict[str, tuple[InclusionLevel, str, Callable[[Linker], Page]]]:
        """Every generated page: source path -> (inclusion, title, builder). Titles need
        the cycles' outlines only; the builders need the loaded cycles."""
        plan: dict[str, tuple[InclusionLevel, str, Callable[[Linker], Page]]] = {}

        def add(uri: str, title: str, build: Callable[[Linker], Page], in_nav: bool) -> None:
            inclusion = InclusionLevel.INCLUDED if in_nav else InclusionLevel.NOT_IN_NAV
            plan[uri] = (inclusion, title, build)

        for cid, view in views.items():
            layout, is_current = layouts[cid], cid == current
            if not is_current:
                add(
                    layout.overview,
                    overview.title(view),
                    partial(overview.build, view, layout),
                    False,
                )
            add(
                layout.tree,
                okrtree.title(view),
                partial(okrtree.build, view, layout),
                is_current,
            )
            add(
                layout.departments,
                department.index_title(view),
                partial(department.build_index, view, layout),
                is_current,
            )
            for dept in view.org.departments:
                add(
                    layout.department(dept),
                    department.title(view, dept),
                    partial(department.build, view, layout, dept=dept),
                    False,
                )
            add(
                layout.people,
                department.people_title(view),
                partial(department.build_people_index, view, layout),
                is_current,
            )
            results = self._results(view) if is_current and self.audience.restricted else None
            for pid in view.org.people:
                history = [
                    (views[e].cycle.title, layouts[e].person(pid))
                    for e in earlier
                    if e != cid and pid in views[e].org.people
                ]
                section: Callable[[Linker], str] | None = None
                if results is not None and results.visible(pid):
                    section = partial(results.person_section, pid)
                if self.audience.restricted:  # a check-point: to its audience only
                    section = checkpoint.with_results(view, self.audience, pid, section)
                add(
                    layout.person(pid),
                    person.title(view, pid),
                    partial(person.build, view, layout, pid=pid, earlier=history, results=section),
                    False,
                )
            if results is not None:
                add(
                    layout.results,
                    results.title(),
                    partial(results.page, layout),
                    True,
                )
        if earlier:
            entries = [(views[e], layouts[e]) for e in sorted(earlier, reverse=True)]
            add(ARCHIVE_INDEX, archive.TITLE, lambda lk: archive.build(entries, lk), True)
        if generate_home:
            view, layout = views[current], layouts[current]
            add(
                "index.md",
                "Home",
                lambda lk: Page(
                    "Home",
                    f"<h1>{text(config.site_name)}</h1>\n\n"
                    + overview.summary(view, layout, lk, self.audience),
                ),
                True,
            )
        return plan

    def _view(self, cycle_id: str, current: bool) -> CycleView:
        data, problems = load_for_site(self.root, cycle_id, self.audience.restricted)
        errors = [p for p in problems if p.is_error]
        if data is None or errors:
            listed = "\n".join(p.format() for p in errors[:MAX_LISTED_PROBLEMS])
            more = len(errors) - MAX_LISTED_PROBLEMS
            raise PluginError(
                f"perfloop: cycle {cycle_id} has {plural(len(errors), 'error')}; "
                f"run `perfloop validate`\n{listed}" + (f"\n… and {more} more" if more > 0 else "")
            )
        if self.audience.restricted:
            sees = self.audience.sees_results_of
            data = keep_plans_of(data, partial(sees, data))
        return CycleView(data, history=self.config.git_history and current)

    def _results(self, view: CycleView):
        from .pages.results import Results  # scoring and calibration: restricted builds only

        return Results(view, self.audience)

    def _generate(self, files: Files, config: MkDocsConfig, plan: dict) -> dict[str, str]:
        """Create every page as a generated file, its HTML to be built when MkDocs renders
        it; return every page's final URL (links need them: they depend on
        use_directory_urls)."""
        made: list[File] = []
        for uri in sorted(plan, key=_render_rank):
            inclusion = plan[uri][0]
            existing = files.get_file_from_path(uri)
            if existing is not None:
                if existing.generated_by is None:
                    log.warning(
                        f"perfloop: {config.docs_dir}/{uri} hides the page perfloop generates "
                        "there; rename or remove it"
                    )
                    continue
                files.remove(existing)
            file = File.generated(config, uri, content="", inclusion=inclusion)
            files.append(file)
            made.append(file)
        self._titles = {f.src_uri: plan[f.src_uri][1] for f in made}
        home = files.get_file_from_path("index.md")
        if home is not None and home.generated_by is None:  # its summary comes last
            files.remove(home)
            files.append(home)
        css = resources.files("perfloop.site") / "assets" / "perfloop.css"
        if files.get_file_from_path(CSS) is None:
            files.append(File.generated(config, CSS, content=css.read_bytes()))
        for kind in schema.kinds():  # public: editors find them at <site_url>/schemas/
            uri = f"{SCHEMAS}/{kind}.schema.json"
            if files.get_file_from_path(uri) is None:
                files.append(File.generated(config, uri, content=schema.schema_text(kind)))
        return {f.src_uri: f.url for f in files}

    def _close(self) -> None:
        if self._producer is not None:
            self._producer.close()
            self._producer = None
        release()  # `mkdocs serve` rebuilds in this process: let the collector see it all

    @event_priority(-100)  # after every other plugin wrote its files (search: its index)
    def on_post_build(self, config: MkDocsConfig) -> None:
        self._close()
        if self._stage is None or self._final is None:
            return
        if config.strict and _warned():
            return  # MkDocs aborts right after this event; on_build_error discards the stage
        if not self.audience.restricted:
            self._refuse_leaks(self._stage)
        staging.swap_in(self._stage, self._final)
        config.site_dir = str(self._final)  # for what runs after the build (gh-deploy)
        self._stage = None

    def _refuse_leaks(self, folder: Path) -> None:
        """Fail the build when its output holds confidential text (leaks.py). The message
        names files only: it goes to CI logs, which must not show the text."""
        self.scanned_since = time.time_ns()
        people = (a for a in self._articles if a.startswith("people/") and a[7:13] != "index.")
        sample = min(people, default=None)  # a person's page: the labels all pages have
        common = leaks.page_words(folder / sample) if sample else frozenset()
        found = list(leaks.scan(folder, leaks.collect(self.root, common), self._articles))
        if not found:
            return
        name = self._final.name if self._final else "site"
        lines = []
        for out, needle in found[:MAX_LISTED_LEAKS]:
            source = self._sources.get(out)
            made = f" (from {source})" if source else ""
            lines.append(f"{name}/{out}{made} holds text of {needle.source}")
        more = len(found) - MAX_LISTED_LEAKS
        raise PluginError(
            "perfloop: the public site would show confidential text (the previous site is "
            "kept):\n" + "\n".join(lines) + (f"\n… and {more} more" if more > 0 else "")
        )

    def on_build_error(self, error: Exception) -> None:
        self._close()
        staging.discard(self._stage)  # the last good site stays as it was
        self._stage = None
        if self._config is not None and self._final is not None:
            self._config.site_dir = str(self._final)

    def _nav(self, files: Files, view: CycleView, layout: Layout, archived: bool) -> list:
        # Departments and people are listed by their index pages, not in the navigation:
        # the theme renders the whole navigation on every page, so a navigation that grows
        # with the company makes the build quadratic (410 departments at 10,000 people).
        nav: list = [
            {"Home": "index.md"},
            {"OKR tree": layout.tree},
            {"Departments": layout.departments},
            {"People": layout.people},
        ]
        if self.audience.restricted:
            nav.append({"Results": layout.results})
        if archived:
            nav.append({"Archive": ARCHIVE_INDEX})
        listed = {"index.md"}
        hand_written = sorted(
            f.src_uri
            for f in files.documentation_pages()
            if f.generated_by is None and f.src_uri not in listed
        )
        guide = [u for u in hand_written if u.startswith("guide/")]
        if guide:
            nav.append({"Guide": guide})
        nav += [u for u in hand_written if not u.startswith("guide/")]
        return nav

    # A generated page reaches MkDocs as an empty Markdown source with its title (see
    # blocks.py: Python-Markdown would only hand its HTML back). Its HTML comes from the
    # producer when MkDocs renders the page; the search plugin, which indexes `page.content`
    # in its own on_page_context, sees the page's light view (headings and text, no
    # layout), then the page gets its full content back. The home page's summary comes in
    # here too, in place of its markers.
    @event_priority(100)
    def _search_view(self, context, page: MkPage, config: MkDocsConfig, nav):
        if self._producer is None:
            return context
        problem = self._producer.problem()
        if problem:
            raise PluginError(problem)
        uri = page.file.src_uri
        if uri in self._titles:
            rendered = self._producer.get(uri)
            page.toc = get_toc(rendered.toc)
            page.content = rendered.search
            self._full[uri] = rendered.html
        elif uri == "index.md" and page.content and SUMMARY_BLOCK in page.content:
            found = self._producer.summary()
            page.content = _SUMMARY_MARKER.sub(lambda m: found[int(m.group(1))], page.content)
        return context

    @event_priority(-100)
    def _full_view(self, context, page: MkPage, config: MkDocsConfig, nav):
        full = self._full.pop(page.file.src_uri, None)
        if full is not None:
            page.content = _with_edit_link(full, self._edits.get(page.file.src_uri))
        if self._banner:  # after search indexed the page: not in every result
            page.content = self._banner + (page.content or "")
        return context

    on_page_context = CombinedEvent(_search_view, _full_view)

    def on_env(self, env, config: MkDocsConfig, files: Files):
        # A build renders the theme's templates once a page, each including a dozen
        # partials; with auto_reload Jinja checks every partial's file on disk each time.
        # A build's templates do not change while it runs (`mkdocs serve` makes a new
        # environment for every build).
        env.auto_reload = False
        # Errors in the data fail the build here, before MkDocs renders a page: raised while
        # rendering, MkDocs would blame that page ("Error building page 'about.md'").
        if self._producer is not None:
            problem = self._producer.problem()
            if problem:
                raise PluginError(problem)
        return env

    def on_page_markdown(
        self, markdown: str, page: MkPage, config: MkDocsConfig, files: Files
    ) -> str:
        if page.file.src_uri in self._titles:
            page.meta["title"] = self._titles[page.file.src_uri]
            # the theme's edit button: only on the pages of a file one edits (MkDocs gives
            # generated pages none)
            found = self._edits.get(page.file.src_uri)
            page.edit_url = found[0] if found else None
            if page.file.src_uri in self._unsearched:
                page.meta["search"] = {"exclude": True}
            return ""  # its HTML comes in on_page_context
        if page.file.src_uri == "index.md" and HOME_MARKER in markdown:
            # its headings now (Markdown makes their ids and the table of contents), its
            # HTML when the page is rendered
            count = len(overview.SUMMARY_HEADINGS) + 1
            markers = [f"<!--{SUMMARY_BLOCK}{i}-->" for i in range(count)]
            summary = f"\n\n{overview.join_summary(markers)}\n\n"
            return _HOME_BLOCK.sub(lambda _: summary, markdown)
        return markdown


def edit_base(configured: str | None, config: MkDocsConfig, root: Path) -> str | None:
    """The URL that a file's path in the repository completes to its edit page on the forge:
    the plugin's `edit_url`, else `repo_url` + `edit_uri` when edit_uri ends with docs_dir
    (`edit/main/site/` → `edit/main/`); None when neither says."""
    if configured:
        return configured.rstrip("/") + "/"
    if not config.repo_url or not config.edit_uri or "://" in config.edit_uri:
        return None
    docs = _relative(config.docs_dir, root).strip("/")
    edit_uri = config.edit_uri.strip("/")
    if not edit_uri.endswith(docs):
        return None
    head = edit_uri[: -len(docs)].strip("/")
    return f"{config.repo_url.rstrip('/')}/{head}/" if head else None


def _with_edit_link(content: str, edit: tuple[str, str] | None) -> str:
    """A page's HTML with a link to edit its file on the forge under its heading."""
    if edit is None:
        return content
    url, label = edit
    link = (
        f'<p class="pl-edit"><a href="{attr(url)}" rel="edit">{text(label)}</a> '
        f'<span class="pl-sub">{text(url[url.rindex("/" + CYCLES + "/") + 1 :])}, '
        "by a pull request</span></p>"
    )
    end = content.find("</h1>")
    return content[: end + 5] + link + content[end + 5 :] if end >= 0 else link + content


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return path


def _warned() -> bool:
    """Whether MkDocs counted a warning, which in strict mode aborts the build after the
    post_build event."""
    return any(
        isinstance(h, CountHandler) and h.get_counts() for h in logging.getLogger("mkdocs").handlers
    )


def _render_rank(uri: str) -> int:
    """MkDocs renders pages in the order of its files, and the worker builds them in that
    order: the many small pages first, so that the worker is ahead of MkDocs from the
    start; the OKR tree (the largest), the other indexes and the home page's summary last."""
    folder = uri.removeprefix(f"{ARCHIVE}/").partition("/")[2] if uri.startswith(ARCHIVE) else uri
    if folder.startswith("people/") and not folder.endswith("/index.md"):
        return 0
    if folder.startswith("departments/") and not folder.endswith("/index.md"):
        return 1
    return 3 if uri == "index.md" else 2


def _link_and_build(build: Callable[[Linker], Any], urls: Any, uri: str) -> Any:
    """A generated page's content: its builder given the links as seen from `uri`."""
    return build(Linker(urls, uri))
