"""The `perfloop` MkDocs plugin: generates the site's pages from `cycles/` at build time.

It uses MkDocs' public plugin API only (`BasePlugin`, `config_options`, `File.generated`,
`InclusionLevel`, `get_relative_url`), so the site can move to another MkDocs-compatible
engine. Nothing it generates is written to `docs_dir`.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page as MkPage

from ..repository import CYCLES, current_cycle_id, cycle_ids
from .audience import Audience, AudienceError
from .layout import ARCHIVE_INDEX, Layout, Linker
from .loading import load_for_site
from .markup import plain, text
from .pages import Page, archive, department, okrtree, overview, person
from .view import CycleView

log = logging.getLogger("mkdocs.plugins.perfloop")

CSS = "assets/perfloop/perfloop.css"
HOME_MARKER = "<!-- perfloop:summary -->"
MAX_LISTED_PROBLEMS = 20


class PerfloopConfig(Config):
    cycles_dir = c.Type(str, default=CYCLES)  # relative to mkdocs.yml
    audience = c.Type(str, default="public")  # public | hr | dept:D | person:P
    cycle = c.Optional(c.Type(str))  # the current cycle; default: the latest open one
    archive = c.Type(bool, default=True)  # pages for earlier cycles
    git_history = c.Type(bool, default=True)  # check-in points from the git history
    nav = c.Type(bool, default=True)  # build the nav when mkdocs.yml sets none


class PerfloopPlugin(BasePlugin[PerfloopConfig]):
    def __init__(self) -> None:
        self.audience = Audience("public")
        self.root = Path(".")
        self.home_summary = ""

    # --- configuration -------------------------------------------------------------------

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        try:
            self.audience = Audience.parse(self.config.audience)
        except AudienceError as exc:
            raise PluginError(f"perfloop: {exc}") from None
        base = Path(config.config_file_path or ".").resolve().parent
        cycles = (base / self.config.cycles_dir).resolve()
        if cycles.name != CYCLES or not cycles.is_dir():
            raise PluginError(
                f"perfloop: cycles_dir must name an existing '{CYCLES}' folder; got {cycles}"
            )
        self.root = cycles.parent
        if CSS not in config.extra_css:
            config.extra_css.append(CSS)
        return config

    def on_serve(self, server, config: MkDocsConfig, builder):
        server.watch(str(self.root / CYCLES))
        return server

    # --- pages ---------------------------------------------------------------------------

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        ids = cycle_ids(self.root)
        current = self.config.cycle or current_cycle_id(self.root)
        if not ids or current not in ids:
            raise PluginError(
                f"perfloop: no cycle {current!r} under {self.root / CYCLES}"
                if current
                else f"perfloop: no cycles under {self.root / CYCLES}"
            )
        earlier = [cid for cid in ids if cid != current] if self.config.archive else []
        # git history only for the current cycle: a closed cycle's check-ins are in its file
        views = {cid: self._view(cid, cid == current) for cid in [current, *earlier]}
        layouts = {cid: Layout(cid, cid == current) for cid in views}
        for view in views.values():
            problem = self.audience.check(view.data) if view.data.id == current else None
            if problem:
                raise PluginError(f"perfloop: {problem}")

        builders: dict[str, tuple[InclusionLevel, object]] = {}

        def add(uri: str, build, in_nav: bool = True) -> None:
            builders[uri] = (
                InclusionLevel.INCLUDED if in_nav else InclusionLevel.NOT_IN_NAV,
                build,
            )

        for cid, view in views.items():
            layout, is_current = layouts[cid], cid == current
            if not is_current:
                add(layout.overview, lambda lk, v=view, lo=layout: overview.build(v, lo, lk), False)
            add(layout.tree, lambda lk, v=view, lo=layout: okrtree.build(v, lo, lk), is_current)
            add(
                layout.departments,
                lambda lk, v=view, lo=layout: department.build_index(v, lo, lk),
                is_current,
            )
            for dept in view.org.departments:
                add(
                    layout.department(dept),
                    lambda lk, v=view, lo=layout, d=dept: department.build(v, lo, lk, d),
                    is_current,
                )
            add(
                layout.people,
                lambda lk, v=view, lo=layout: department.build_people_index(v, lo, lk),
                is_current,
            )
            results = self._results(view) if is_current and self.audience.restricted else None
            for pid in view.org.people:
                history = [
                    (views[e].cycle.title, layouts[e].person(pid))
                    for e in earlier
                    if e != cid and pid in views[e].org.people
                ]
                section = None
                if results is not None and results.visible(pid):
                    section = lambda lk, r=results, p=pid: r.person_section(p, lk)  # noqa: E731
                add(
                    layout.person(pid),
                    lambda lk, v=view, lo=layout, p=pid, h=history, s=section: person.build(
                        v, lo, lk, p, h, s
                    ),
                    False,
                )
            if results is not None:
                add(layout.results, lambda lk, r=results, lo=layout: r.page(lo, lk))
        if earlier:
            entries = [(views[e], layouts[e]) for e in sorted(earlier, reverse=True)]
            add(ARCHIVE_INDEX, lambda lk: archive.build(entries, lk))

        current_view, current_layout = views[current], layouts[current]
        if "index.md" not in files.src_uris:
            add(
                "index.md",
                lambda lk: Page(
                    "Home",
                    f"<h1>{text(config.site_name)}</h1>\n\n"
                    + overview.summary(current_view, current_layout, lk),
                ),
            )

        self._generate(files, config, builders)
        home_linker = Linker({u: f.url for u, f in files.src_uris.items()}, "index.md")
        self.home_summary = overview.summary(current_view, current_layout, home_linker)
        if config.nav is None and self.config.nav:
            config.nav = self._nav(files, current_view, current_layout, bool(earlier))
        return files

    def _view(self, cycle_id: str, current: bool) -> CycleView:
        data, problems = load_for_site(self.root, cycle_id, self.audience.restricted)
        errors = [p for p in problems if p.is_error]
        if data is None or errors:
            listed = "\n".join(p.format() for p in errors[:MAX_LISTED_PROBLEMS])
            more = len(errors) - MAX_LISTED_PROBLEMS
            raise PluginError(
                f"perfloop: cycle {cycle_id} has {len(errors)} error(s); "
                f"run `perfloop validate`\n{listed}" + (f"\n… and {more} more" if more > 0 else "")
            )
        return CycleView(data, history=self.config.git_history and current)

    def _results(self, view: CycleView):
        from .pages.results import Results  # scoring and calibration: restricted builds only

        return Results(view, self.audience)

    def _generate(self, files: Files, config: MkDocsConfig, builders: dict) -> list[File]:
        """Create every page as a generated file, then fill each with its content (links
        need every page's final URL, which depends on use_directory_urls)."""
        made: list[File] = []
        for uri, (inclusion, _) in builders.items():
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
        urls = {f.src_uri: f.url for f in files}
        for file in made:
            page: Page = builders[file.src_uri][1](Linker(urls, file.src_uri))
            file.content_string = f'---\ntitle: "{page.title}"\n---\n\n{page.body}\n'
        css = resources.files("perfloop.site") / "assets" / "perfloop.css"
        if files.get_file_from_path(CSS) is None:
            files.append(File.generated(config, CSS, content=css.read_bytes()))
        return made

    def _nav(self, files: Files, view: CycleView, layout: Layout, archived: bool) -> list:
        depts = [{plain(view.department_name(d)): layout.department(d)} for d in _depth_first(view)]
        nav: list = [
            {"Home": "index.md"},
            {"OKR tree": layout.tree},
            {"Departments": [{"All departments": layout.departments}, *depts]},
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

    def on_page_markdown(
        self, markdown: str, page: MkPage, config: MkDocsConfig, files: Files
    ) -> str:
        if page.file.src_uri == "index.md" and HOME_MARKER in markdown:
            return markdown.replace(HOME_MARKER, "\n\n" + self.home_summary + "\n\n")
        return markdown


def _depth_first(view: CycleView) -> list[str]:
    out: list[str] = []

    def walk(depts: list[str]) -> None:
        for dept in depts:
            out.append(dept)
            walk(view.subdepartments(dept))

    walk(view.top_departments)
    return out
