"""The chart's referrals section: each referral's state in words, and the follow-up plan.

Hidden while the patient has neither (so charts without referrals look as before).
The screen hands it what the referral store read; it reads nothing itself.
"""

from __future__ import annotations

from datetime import date

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from clinic_tui.domain.models import Chart
from clinic_tui.domain.referral_workflow import status_words
from clinic_tui.i18n import N_, ngettext, tr
from clinic_tui.referral.fhir_shapes import category_words, priority_words
from clinic_tui.referral.inbox import Preview
from clinic_tui.referral.model import FollowUpItem, ReferralItem
from clinic_tui.widgets.chart_sections import PENDING_MARK, ChartSection
from clinic_tui.widgets.data_text import data_block, data_text, name_text
from clinic_tui.widgets.unread_mark import unread_words

CODE_WORDS = 40
"""Characters of a status, priority or category word (a code we do not know is drawn as is)."""


def referral_line(item: ReferralItem, clinic_id: str) -> Text:
    """'[Accepted] !! Urgent Referral to 县医院 心内科 · I10 高血压 · 2026-11-24 *'."""
    line = Text()
    # Words for known codes; an unknown code from the server is drawn as data.
    line.append_text(data_text(f"[{status_words(item.status)}]", "bold", limit=CODE_WORDS))
    marker = priority_words(item.priority)
    line.append_text(
        data_text(f" {marker}", "bold red" if item.priority != "routine" else "", limit=CODE_WORDS)
    )
    line.append_text(data_text(f" {category_words(item.category)}", limit=CODE_WORDS))
    if item.requester_org == clinic_id:
        place = " ".join(p for p in (item.owner_name, item.department_name) if p)
        line.append(f" {tr('to')} ")
        line.append_text(name_text(place))
    else:
        line.append(f" {tr('from')} ")
        line.append_text(name_text(item.requester_name))
    if item.reason:
        line.append(" · ")
        line.append_text(data_text(item.reason))
    if item.authored_on:
        line.append_text(data_text(f" · {item.authored_on[:10]}"))
    if item.appointment:
        line.append_text(data_text(f" · {tr('appointment')} {item.appointment[:10]}"))
    if item.business_status:
        line.append_text(data_text(f" · {item.business_status}"))
    if item.status_reason:
        line.append_text(data_text(f" · {item.status_reason}"))
    if item.messages:
        count = ngettext("{count} message", "{count} messages", item.messages)
        line.append(f" · {count.format(count=item.messages)}")
    if item.unread:
        line.append(f" · {unread_words(item.unread)}", style="bold")
    if item.pending:
        line.append(PENDING_MARK)
    return line


def follow_up_line(item: FollowUpItem, today: date) -> Text:
    """'Follow-up due 2026-12-08 (overdue): 复测血压 · 县人民医院'."""
    line = Text()
    due = item.due or "?"
    line.append(tr("Follow-up due {day}").format(day=data_text(due).plain), style="bold")
    if item.status == "completed":
        line.append(f" ({tr('done')})")
    elif item.due and item.due < today.isoformat():
        line.append(f" ({tr('overdue')})", style="bold")
    line.append(": ")
    line.append_text(data_text(item.plan))
    if item.from_name:
        line.append(" · ")
        line.append_text(name_text(item.from_name))
    if item.pending:
        line.append(PENDING_MARK)
    return line


def summary_text(item: ReferralItem, preview: Preview) -> RenderableType | None:
    """What the referring clinic wrote (ServiceRequest.note, supportingInfo), under its line."""
    lines = [
        line.strip() for line in data_block(preview.summary).plain.splitlines() if line.strip()
    ]
    if not lines:
        return None
    heading = (
        tr("Summary from {clinic}:").format(clinic=name_text(item.requester_name).plain)
        if item.requester_name
        else tr("Referral summary:")
    )
    # Indented as a block, so a wrapped line stays under the heading.
    return Group(Text(heading, style="bold"), Padding(Text("\n".join(lines)), (0, 0, 0, 2)))


class ReferralsSection(ChartSection):
    """This patient's referrals and follow-ups (drawn from the referral store, not the Chart)."""

    TITLE = N_("Referrals and follow-up")

    clinic_id = ""
    referrals: list[ReferralItem]
    follow_ups: list[FollowUpItem]
    today: date | None = None
    summaries: dict[str, Preview]
    """Task id -> the summary shown under that referral (a referred patient's chart)."""

    def on_mount(self) -> None:
        """Hidden until there is something to show."""
        super().on_mount()
        self.display = False

    def show_referrals(
        self,
        referrals: list[ReferralItem],
        follow_ups: list[FollowUpItem],
        clinic_id: str,
        today: date,
        summaries: dict[str, Preview] | None = None,
    ) -> None:
        """Redraw from what the store read; `summaries` are shown under their referrals."""
        self.referrals, self.follow_ups = referrals, follow_ups
        self.summaries = summaries or {}
        self.clinic_id, self.today = clinic_id, today
        self.display = bool(referrals or follow_ups)
        self.border_subtitle = tr("r refer · R referrals")
        body, count, _ = self.render_chart(None)
        title = tr(self.TITLE)
        self.border_title = f"{title} ({count})" if count else title
        self.body = body
        self.query_one(".section-body", Static).update(body)

    def show(self, chart: Chart) -> None:
        """The Chart carries no referrals: show_referrals draws this section."""

    def render_chart(self, chart: Chart | None) -> tuple[RenderableType, int, bool]:
        """Open follow-ups first (they need doing), then referrals newest first."""
        today = self.today or date.today()
        lines: list[RenderableType] = []
        follow_ups = getattr(self, "follow_ups", [])
        referrals = getattr(self, "referrals", [])
        for item in follow_ups:
            lines.append(follow_up_line(item, today))
        table = Table(box=None, show_header=False, padding=0, pad_edge=False, expand=False)
        table.add_column(overflow="fold")
        summaries = getattr(self, "summaries", {})
        for referral in referrals:
            table.add_row(referral_line(referral, self.clinic_id))
            preview = summaries.get(referral.task_id)
            summary = summary_text(referral, preview) if preview is not None else None
            if summary is not None:
                table.add_row(summary)
        if referrals:
            lines.append(table)
        pending = any(i.pending for i in referrals) or any(f.pending for f in follow_ups)
        return Group(*lines), len(referrals) + len(follow_ups), pending
