"""Every message key the monitors emit, its params, and an English template.

The reports package builds its en / zh-CN catalogs from these. Templates use `str.format` fields and
name each param at most once; values arrive raw (Decimal, int, bool, None, lists) and are formatted
by the reports for the reader's locale. Subject, marketplace and URL travel on the Alert itself.
"""
from __future__ import annotations

from string import Formatter

from monitors.base import Alert

_OFFER = ("seller", "seller_id", "price", "currency", "condition", "fba", "seller_rating", "seller_rating_count")
_COUPON = ("own", "before", "after", "text", "percent", "amount", "currency")
_DEAL = ("own", "before", "after")
_FLOOR = ("price", "currency", "effective", "floor", "coupon", "deal")
_PRICE = ("before", "after", "currency", "percent")
_ENTRY = ("asin", "rank", "title", "price", "currency")
_BLOCKED = ("kind", "count", "total", "percent", "threshold", "subjects")

MESSAGE_KEYS: dict[str, tuple[str, ...]] = {
    "buybox.lost": ("seller", "seller_id", "price", "currency", "fba", "ships_from"),
    "buybox.suppressed": (),
    "buybox.owner_changed": ("before", "seller", "price", "currency", "fba"),
    "buybox.share_low": ("days", "share", "threshold", "readings"),
    "sellers.new": _OFFER,
    "sellers.lookalike": (*_OFFER, "imitates"),
    "sellers.count_rose": ("before", "after"),
    "sellers.undercut": (*_OFFER, "landed", "own_price", "difference"),
    "ratings.fell": ("before", "after", "review_count"),
    "ratings.below_floor": ("rating", "floor"),
    "ratings.reviews_deleted": ("count", "before", "after"),
    "ratings.low_star_added": ("stars", "estimate", "at_least"),
    "ratings.new_low_star_review": ("review_id", "stars", "title", "date", "verified"),
    "promotions.coupon_appeared": _COUPON,
    "promotions.coupon_changed": _COUPON,
    "promotions.coupon_disappeared": _COUPON,
    "promotions.deal_appeared": _DEAL,
    "promotions.deal_changed": _DEAL,
    "promotions.deal_disappeared": _DEAL,
    "promotions.below_floor": _FLOOR,
    "promotions.stacked_below_floor": _FLOOR,
    "listing.not_as_expected": ("field", "expected", "actual"),
    "listing.changed": ("field", "before", "after"),
    "listing.unavailable": ("availability",),
    "listing.gone": ("own",),
    "listing.redirected": ("to",),
    "prices.changed": _PRICE,
    "prices.crossed_below": (*_PRICE, "own_asin", "own_price"),
    "prices.crossed_above": (*_PRICE, "own_asin", "own_price"),
    "prices.week_trend": ("days", *_PRICE, "low", "high"),
    "keywords.out_of_top_n": ("asin", "position", "before", "top_n"),
    "keywords.falling": ("asin", "runs", "positions"),
    "keywords.not_indexed": ("asin", "pages", "before"),
    "keywords.sponsored_above": ("asin", "brand", "title", "page", "position", "own_asin", "own_page",
                                 "own_position"),
    "keywords.sponsored_banner": ("brand", "kind", "asins"),
    "bestsellers.new_entrant": (*_ENTRY, "top_n"),
    "bestsellers.newcomer_stays": (*_ENTRY, "runs", "top_n"),
    "bestsellers.own_entered": ("asin", "rank", "before", "top_n"),
    "bestsellers.own_left": ("asin", "rank", "before", "top_n"),
    "bestsellers.rank_moved": (*_ENTRY, "before", "places"),
    "bestsellers.bsr_moved": ("category", "before", "after", "percent"),
    "newlistings.new_asin": ("brand", "asin", "title", "price", "currency", "image", "sponsored"),
    "health.blocked": _BLOCKED,
    "health.failed": _BLOCKED,
    "health.missing_field": ("kind", "field_name", "count", "total", "percent", "threshold"),
    "health.not_fetched": ("kind", "count", "total", "subjects"),
    "health.monitor_crashed": ("monitor", "error", "detail"),
    "value.flapping": ("field", "changes", "values"),
}

ENGLISH: dict[str, str] = {
    "buybox.lost": "Buy box lost to {seller} (seller id {seller_id}) at {price} {currency}; "
                   "fulfilled by Amazon: {fba}; ships from {ships_from}",
    "buybox.suppressed": "Buy box suppressed: no featured offer is shown",
    "buybox.owner_changed": "Buy box moved from {before} to {seller} at {price} {currency} "
                            "(fulfilled by Amazon: {fba})",
    "buybox.share_low": "Buy box held in {share}% of {readings} readings over {days} days "
                        "(threshold {threshold}%)",
    "sellers.new": "Unauthorised seller {seller} ({seller_id}) offers it at {price} {currency}, "
                   "condition {condition}, fulfilled by Amazon: {fba}, "
                   "seller rating {seller_rating}% of {seller_rating_count}",
    "sellers.lookalike": "Seller {seller} ({seller_id}) imitates your shop name {imitates}: {price} {currency}, "
                         "condition {condition}, fulfilled by Amazon: {fba}, "
                         "seller rating {seller_rating}% of {seller_rating_count}",
    "sellers.count_rose": "Sellers on the listing rose from {before} to {after}",
    "sellers.undercut": "{seller} ({seller_id}) undercuts you: {landed} {currency} delivered ({price} + shipping) "
                        "vs your {own_price}, {difference} less; condition {condition}, FBA {fba}, "
                        "rating {seller_rating}% of {seller_rating_count}",
    "ratings.fell": "Rating fell from {before} to {after} ({review_count} ratings)",
    "ratings.below_floor": "Rating {rating} is below your floor of {floor}",
    "ratings.reviews_deleted": "{count} ratings disappeared ({before} -> {after})",
    "ratings.low_star_added": "About {estimate} new {stars}-star ratings (at least {at_least})",
    "ratings.new_low_star_review": "New {stars}-star top review {review_id}: \"{title}\" ({date}, "
                                   "verified purchase: {verified})",
    "promotions.coupon_appeared": "Coupon appeared: {after} (own listing: {own}; {percent}% / "
                                  "{amount} {currency}; text {text})",
    "promotions.coupon_changed": "Coupon changed from {before} to {after} (own listing: {own}; {percent}% / "
                                 "{amount} {currency}; text {text})",
    "promotions.coupon_disappeared": "Coupon {before} ended (own listing: {own}; now {after}, {text}, "
                                     "{percent}, {amount} {currency})",
    "promotions.deal_appeared": "Deal started: {after} (own listing: {own}; before: {before})",
    "promotions.deal_changed": "Deal changed from {before} to {after} (own listing: {own})",
    "promotions.deal_disappeared": "Deal {before} ended (own listing: {own}; now {after})",
    "promotions.below_floor": "Sells at {effective} {currency} after coupon {coupon} on {price}, "
                              "below your floor of {floor} (deal: {deal})",
    "promotions.stacked_below_floor": "Coupon {coupon} stacked on deal {deal}: {price} {currency} becomes "
                                      "{effective}, below your floor of {floor}",
    "listing.not_as_expected": "{field} is {actual}, expected {expected}",
    "listing.changed": "{field} changed from {before} to {after}",
    "listing.unavailable": "Listing unavailable: {availability}",
    "listing.gone": "Listing not found on two runs in a row (own listing: {own})",
    "listing.redirected": "Listing redirects to {to}",
    "prices.changed": "Price changed from {before} to {after} {currency} ({percent}%)",
    "prices.crossed_below": "Price fell from {before} to {after} {currency} ({percent}%), below your "
                            "{own_asin} at {own_price}",
    "prices.crossed_above": "Price rose from {before} to {after} {currency} ({percent}%), above your "
                            "{own_asin} at {own_price}",
    "prices.week_trend": "Price {percent}% over {days} days: {before} -> {after} {currency} "
                         "(low {low}, high {high})",
    "keywords.out_of_top_n": "{asin} ranks #{position} organically, outside the top {top_n} "
                             "(before: {before})",
    "keywords.falling": "{asin} fell {runs} runs in a row: {positions}",
    "keywords.not_indexed": "{asin} not found on the {pages} result pages read (before: #{before})",
    "keywords.sponsored_above": "Sponsored {asin} ({brand}, \"{title}\") at page {page} position {position}, "
                                "above your {own_asin} (page {own_page} position {own_position})",
    "keywords.sponsored_banner": "{brand} holds the sponsored {kind} banner with {asins}",
    "bestsellers.new_entrant": "New in the top {top_n}: #{rank} {asin} \"{title}\" at {price} {currency}",
    "bestsellers.newcomer_stays": "Newcomer #{rank} {asin} \"{title}\" ({price} {currency}) stayed in the "
                                  "top {top_n} for {runs} runs",
    "bestsellers.own_entered": "Your {asin} entered the top {top_n} at #{rank} (before: {before})",
    "bestsellers.own_left": "Your {asin} left the top {top_n}: was #{before}, now {rank}",
    "bestsellers.rank_moved": "{asin} \"{title}\" ({price} {currency}) moved {places} places: "
                              "#{before} -> #{rank}",
    "bestsellers.bsr_moved": "Best-sellers rank in {category}: #{before} -> #{after} ({percent}%)",
    "newlistings.new_asin": "{brand} listed {asin}: \"{title}\" at {price} {currency} (image {image}, "
                            "sponsored: {sponsored})",
    "health.blocked": "{count} of {total} {kind} pages blocked ({percent}%, threshold {threshold}%): "
                      "{subjects}",
    "health.failed": "{count} of {total} {kind} pages failed ({percent}%, threshold {threshold}%): "
                     "{subjects}",
    "health.missing_field": "{field_name} missing on {count} of {total} {kind} pages ({percent}%, "
                            "threshold {threshold}%)",
    "health.not_fetched": "{count} of {total} {kind} targets were not fetched: {subjects}",
    "health.monitor_crashed": "Monitor {monitor} crashed ({error}: {detail}); its findings are missing",
    "value.flapping": "{field} keeps changing ({changes} changes): {values}",
}


def template_fields(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def english(alert: Alert) -> str:
    """The alert in plain English (CLI, logs); missing params show as empty."""
    fields = dict.fromkeys(MESSAGE_KEYS.get(alert.message_key, ()), "")
    fields.update(alert.params)
    return ENGLISH.get(alert.message_key, alert.message_key).format(**fields)
