"""Ratings and reviews of own listings: the average fell, reviews vanished, low-star ratings arrived."""
from __future__ import annotations

import math
from decimal import Decimal

from monitors.base import Alert, Monitor, Severity
from monitors.common import OK, check_flapping, own_pairs, streak_since
from monitors.history import History
from monitors.settings import MonitorSettings

HALF = Decimal("0.5")


class RatingFell(Monitor):
    """The average star rating of an own listing fell by at least the step (0.1) since the last run."""

    name = "rating_fell"
    severity = Severity.WARNING

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key, entries, cur, prev in own_pairs(history, settings):
            if cur is None or prev is None or cur.rating is None or prev.rating is None:
                continue
            if prev.rating - cur.rating < settings.rating_step:
                continue
            flap = check_flapping(self, cur, entries, "rating", lambda s: s.rating,
                                  settings.flap_window, settings.flap_changes)
            alerts.append(flap or self.product_alert(
                cur, "ratings.fell", field="rating", before=prev.rating, after=cur.rating, event=True,
                params={"before": prev.rating, "after": cur.rating, "review_count": cur.review_count}))
        return alerts


class RatingBelowFloor(Monitor):
    """The average star rating of an own listing is below the floor (4.3 by default)."""

    name = "rating_below_floor"
    severity = Severity.CRITICAL

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        floor = settings.rating_floor
        for key, entries, cur, prev in own_pairs(history, settings):
            if cur is None or cur.rating is None or cur.rating >= floor:
                continue
            since = streak_since(entries, lambda s: s.rating is not None and s.rating < floor)
            alerts.append(self.product_alert(cur, "ratings.below_floor", field="rating", after=cur.rating,
                                             since=since, params={"rating": cur.rating, "floor": floor}))
        return alerts


class ReviewsDeleted(Monitor):
    """The rating count of an own listing went down: Amazon removed ratings or reviews."""

    name = "reviews_deleted"
    severity = Severity.WARNING

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key, entries, cur, prev in own_pairs(history, settings):
            if cur is None or prev is None or cur.review_count is None or prev.review_count is None:
                continue
            if cur.review_count < prev.review_count:
                alerts.append(self.product_alert(
                    cur, "ratings.reviews_deleted", field="review_count", event=True,
                    before=prev.review_count, after=cur.review_count,
                    params={"count": prev.review_count - cur.review_count, "before": prev.review_count,
                            "after": cur.review_count}))
        return alerts


def added_ratings(prev_count: int, prev_pct: int, cur_count: int, cur_pct: int) -> tuple[int, int]:
    """(estimated, at least) ratings of one star level added between two readings.

    The histogram prints whole percents, so a level's count is only known within +-0.5 % of the total;
    `at least` is what remains certain after that rounding (<= 0 means nothing certain)."""
    lo_now = Decimal(cur_count) * max(Decimal(cur_pct) - HALF, Decimal(0)) / 100
    hi_before = Decimal(prev_count) * min(Decimal(prev_pct) + HALF, Decimal(100)) / 100
    estimate = (Decimal(cur_count) * cur_pct - Decimal(prev_count) * prev_pct) / 100
    return int(estimate.to_integral_value()), math.floor(lo_now - hi_before)


class LowStarRatingsAdded(Monitor):
    """New 1-3 star ratings on an own listing since the last run, estimated per star level as rating
    count x histogram percent, reported only when the increase exceeds the whole-percent rounding."""

    name = "low_star_ratings"
    severity = Severity.WARNING

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key, entries, cur, prev in own_pairs(history, settings):
            if cur is None or prev is None or not cur.rating_histogram or not prev.rating_histogram:
                continue
            if cur.review_count is None or prev.review_count is None:
                continue
            for stars in range(1, settings.low_star_max + 1):
                before, after = prev.rating_histogram.get(stars), cur.rating_histogram.get(stars)
                if before is None or after is None:
                    continue
                estimate, at_least = added_ratings(prev.review_count, before, cur.review_count, after)
                if at_least >= 1:
                    alerts.append(self.product_alert(
                        cur, "ratings.low_star_added", field="rating_histogram", discriminator=f"{stars}star",
                        before=before, after=after, event=True,
                        params={"stars": stars, "estimate": estimate, "at_least": at_least}))
        return alerts


class NewLowStarReview(Monitor):
    """A 1-3 star review never seen before appears among an own listing's top reviews (told by its
    review id, never by its position)."""

    name = "new_low_star_review"
    severity = Severity.WARNING

    def check(self, history: History, settings: MonitorSettings) -> list[Alert]:
        alerts = []
        for key, entries, cur, prev in own_pairs(history, settings):
            if cur is None or prev is None:
                continue  # the first reading is the baseline
            low = [r for r in cur.top_reviews if r.stars is not None and r.stars <= settings.low_star_max and r.id]
            if not low:
                continue
            known = {r.id for run, s in entries[:-1] if s.outcome is OK for r in s.top_reviews}
            for r in low:
                if r.id not in known:
                    alerts.append(self.product_alert(
                        cur, "ratings.new_low_star_review", field="top_reviews", discriminator=r.id, after=r.id,
                        event=True, params={"review_id": r.id, "stars": r.stars, "title": r.title,
                                            "date": r.date, "verified": r.verified}))
        return alerts


MONITORS = (RatingFell, RatingBelowFloor, ReviewsDeleted, LowStarRatingsAdded, NewLowStarReview)
