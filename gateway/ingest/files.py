"""The files the load files name: each exists in the volume, is not empty where it must
not be, and has the pages it stands for (PDF and TIFF pages are counted)."""

from __future__ import annotations

from gateway.bates import page_span
from gateway.ingest.errors import LoadFileError
from gateway.ingest.opt import OptRow
from gateway.ingest.planning import Draft, PlannerBase
from gateway.ingest.source import UnsafePath, locate
from gateway.pagecount import PageCountError, count_pages


class FileChecks(PlannerBase):
    def _check_files(self, drafts: list[Draft], rows: list[OptRow]) -> None:
        for draft in drafts:
            if draft.native is not None:
                if self._check_dat_file(draft, draft.native, "native", allow_empty=False):
                    self._check_native_pages(draft, draft.native)
            if draft.text is not None:
                self._check_dat_file(draft, draft.text, "text", allow_empty=True)
        # pages an OPT line stands for beyond its own: a multi-page image listed once
        beyond = {
            d.pages[0].line: len(range(d.begin.number, d.end.number))
            for d in drafts
            if d.listed_once
        }
        for path, (row, more) in self._image_paths(rows).items():
            problem = self._file_problem(path, allow_empty=False)
            if problem:
                also = f" (also referenced on {more} more line(s))" if more else ""
                self._opt_error(row, 2, f"image {problem}{also}")
                continue
            pages = more + 1 + sum(beyond.get(line, 0) for line in self.lines_of[path])
            if pages > 1:
                self._check_image_pages(row, path, pages)

    def _check_image_pages(self, row: OptRow, path: str, pages: int) -> None:
        """An image file standing for several pages must have that many (PDF or TIFF)."""
        try:
            with self.source.open(path) as handle:
                found = count_pages(handle)
        except PageCountError as exc:
            self._opt_error(row, 2, f"image {path}: {exc}, so its pages cannot be counted")
            return
        if found is None:
            reason = (
                f"image {path} has no pages to count (not a PDF or TIFF) but stands for {pages}"
            )
        elif found != pages:
            reason = f"image {path} has {found} page(s) but the OPT gives it {pages}"
        else:
            return
        self._opt_error(row, 2, reason)

    def _check_dat_file(
        self, draft: Draft, ref: tuple[str, str], what: str, *, allow_empty: bool
    ) -> bool:
        name, path = ref
        problem = self._file_problem(path, allow_empty=allow_empty)
        if problem:
            self._error(draft.record, name, f"{what} {problem}")
        return problem is None

    def _check_native_pages(self, draft: Draft, ref: tuple[str, str]) -> None:
        """A native-only document takes one Bates number (its slip sheet) or one per page
        of the file: a longer range must be the real page count of a PDF or TIFF."""
        span = page_span(draft.begin, draft.end)
        if draft.pages or span == 1 or draft.conflicting:
            return
        name, path = ref
        try:
            with self.source.open(path) as handle:
                pages = count_pages(handle)
        except PageCountError as exc:
            self._error(draft.record, name, f"native {path}: {exc}, so its pages cannot be counted")
            return
        if pages is None:
            reason = (
                f"native {path} has no pages to count (not a PDF or TIFF), so document "
                f"{draft.label} takes one Bates number, not {span}"
            )
        elif pages != span:
            reason = f"native {path} has {pages} page(s) but document {draft.label} spans {span}"
        else:
            return
        self._error(draft.record, name, reason)

    def _image_paths(self, rows: list[OptRow]) -> dict[str, tuple[OptRow, int]]:
        """Each distinct image path with the first row naming it and how many more do."""
        paths: dict[str, tuple[OptRow, int]] = {}
        for row in rows:
            try:
                path = locate(self.source, row.path, self.volume_names)
            except UnsafePath as exc:
                self._opt_error(row, 2, str(exc))
                continue
            self.page_paths[row.line] = path
            self.lines_of.setdefault(path, []).append(row.line)
            first, more = paths.get(path, (row, -1))
            paths[path] = (first, more + 1)
        return paths

    def _file_problem(self, path: str, *, allow_empty: bool) -> str | None:
        """Why ``path`` is not a usable file in the volume, or None if it is."""
        try:
            if not self.source.exists(path):
                return f"file {path} does not exist in the volume"
            if not allow_empty and self.source.size(path) == 0:
                return f"file {path} is empty"
        except LoadFileError as exc:
            return f"file {path}: {exc.reason}"
        except OSError as exc:
            return f"file {path} cannot be read: {exc.strerror}"
        return None
