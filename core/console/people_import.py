"""Importing people from CSV in the console: a dry run first (how many are new, how many known,
every problem by line, the first rows as they will be indexed), then the import itself, which
adds to what the index knows instead of replacing it (people_csv.merged)."""

from __future__ import annotations

import io

from aiohttp import web
from parley.core.console.roles import Permission
from parley.core.console.shell import Console, Viewer
from parley.core.schedule import people_csv
from parley.core.schedule.store import ScheduleStore

SHOWN_PROBLEMS = 20
SAMPLE = 10


class PeopleImportSection:
    def __init__(self, console: Console, sched: ScheduleStore) -> None:
        self.console = console
        self.sched = sched

    def routes(self) -> list[web.RouteDef]:
        p = self.console.page
        # Before /console/people/{person}: "import" is not a person.
        return [
            web.get("/console/people/import", p(Permission.EDIT_PEOPLE, self.form)),
            web.post("/console/people/import", p(Permission.EDIT_PEOPLE, self.run)),
        ]

    async def form(self, request: web.Request, viewer: Viewer, status: int = 200, **shown) -> web.Response:
        return self.console.render(request, viewer, "people_import.html", status=status, **shown)

    async def run(self, request: web.Request, viewer: Viewer) -> web.Response:
        data = await self.console.form(request)
        upload = data.get("file")
        if not isinstance(upload, web.FileField):
            return await self.form(request, viewer, status=422, error="import_no_file")
        try:
            text = upload.file.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            return await self.form(request, viewer, status=422, error="import_not_utf8")
        parsed = people_csv.parse(io.StringIO(text, newline=""), upload.filename or "upload.csv")
        dry = data.get("dry_run") == "on"
        known = 0
        for entry in parsed.people:
            old = await self.sched.person(entry.person)
            known += old is not None
            if not dry:
                await self.sched.put_person(people_csv.merged(old, entry))
        if not dry:
            detail = f"{len(parsed.people)} rows, {len(parsed.problems)} refused"
            await self.console.audit(viewer, "people.import", upload.filename or "", detail)
        return await self.form(
            request,
            viewer,
            report={
                "dry": dry,
                "rows": len(parsed.people),
                "new": len(parsed.people) - known,
                "known": known,
                "problems": parsed.problems[:SHOWN_PROBLEMS],
                "more_problems": max(0, len(parsed.problems) - SHOWN_PROBLEMS),
                "sample": parsed.people[:SAMPLE],
            },
        )
