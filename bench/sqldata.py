"""Bench data written by PostgreSQL itself (``INSERT … SELECT``), in the shapes of
``bench/recalc.py``'s ORM generator: minutes for 100,000 suppliers instead of an hour.

Shapes (the same draws as the ORM generator, made by ``random()`` in the database, seeded):
suppliers ``R-000000…`` (one in four non-production), four quarters of CNY spend on a
``1e9 / rank ** 1.1`` curve, 1–3 sites per supplier, two full audits and an SAQ per site,
0–4 findings per full audit, the accepted values of the 23 reported v1 indicators over four
quarters (each reported with probability 0.6, drawn around the supplier's maturity as
``scoring.demo._raw_value`` draws them), four QBR components in the measured quarter and yearly
GHG inventories (2023–2025) for about 60 % of the suppliers.

``generate(count, start)`` adds ``count`` suppliers numbered from ``start`` and the rows that
belong to them only, so the data can grow in steps (``bench/recalc.py --sizes``).
Used by ``bench/recalc.py --generator sql`` and ``bench/serve.py --generator sql``.
"""

from __future__ import annotations

QUARTER = "2026-Q3"
QUARTERS = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
CDP = ["A", "A-", "B", "B-", "C", "C-", "D", "F"]  # scoring.demo.CDP
SBTI = ["none", "committed", "near_term_validated", "net_zero_validated"]  # scoring.demo.SBTI

SUPPLIERS = [
    """INSERT INTO suppliers_supplier (code, name, legal_name, country, category, commodity, status,
        termination_review, publishable, created_at, updated_at, cdp_account, duns, ecovadis_id, lei)
       SELECT 'R-' || lpad(i::text, 6, '0'), 'Bench supplier ' || i, '', 'CN',
              CASE WHEN i %% 4 = 0 THEN 'non_production' ELSE 'production' END, '', 'active', false, true,
              now(), now(), '', '', '', '' FROM generate_series(%(start)s, %(start)s + %(count)s - 1) i""",
    """INSERT INTO suppliers_spendrecord (supplier_id, quarter, currency, amount)
       SELECT s.id, q, 'CNY', round((1e9 / power(s.r, 1.1) * (0.8 + 0.4 * random()))::numeric, 2)
       FROM (SELECT id, %(start)s + row_number() OVER (ORDER BY id) r FROM suppliers_supplier
             WHERE id > %(last_supplier)s) s,
            unnest(%(quarters)s::text[]) q""",
    """INSERT INTO suppliers_site (code, name, country, city, is_production, status, supplier_id, address, province)
       SELECT 'R-' || s.id || '-' || k, 'plant', 'CN', '', random() < 0.9,
              CASE WHEN random() < 0.95 THEN 'active' ELSE 'closed' END, s.id, '', ''
       FROM (SELECT id, (ARRAY[1, 1, 2, 3])[1 + floor(random() * 4)::int] n FROM suppliers_supplier
             WHERE id > %(last_supplier)s) s,
            generate_series(0, s.n - 1) k""",
    """INSERT INTO audits_audit (audit_ref, audit_type, category, protocol, audit_firm, rba_audit_id, section_scores,
        report_file, status, created_at, updated_at, site_id, conducted_on, score, recognition, saq_risk)
       SELECT 'RA-' || s.id || '-' || k, 'vap_full', '', '', '', '', '{}'::jsonb, '', 'closed', now(), now(), s.id,
              date '2026-09-30' - floor(random() * 1001)::int, 100 + floor(random() * 101),
              (ARRAY['platinum', 'gold', 'silver', 'none', NULL])[1 + floor(random() * 5)::int], NULL
       FROM suppliers_site s, generate_series(0, 1) k WHERE s.id > %(last_site)s
       UNION ALL
       SELECT 'RS-' || s.id, 'saq', '', '', '', '', '{}'::jsonb, '', 'closed', now(), now(), s.id,
              date '2026-09-30' - floor(random() * 501)::int, NULL, NULL,
              (ARRAY['low', 'medium', 'high'])[1 + floor(random() * 3)::int]
       FROM suppliers_site s WHERE s.id > %(last_site)s""",
    """INSERT INTO audits_finding (finding_ref, severity, zero_tolerance, description, opened_on, closed_on, closed_via,
        status, created_at, updated_at, audit_id, provision_id, due_on_given, withdrawal_reason, correction_due_on,
        due_extension_reason)
       SELECT 'RF-' || f.id || '-' || f.k, f.severity, random() < 0.002, '', f.conducted_on, f.closed_on, '',
              CASE WHEN f.closed_on IS NULL THEN 'open' ELSE 'closed' END, now(), now(), f.id,
              (SELECT min(id) FROM audits_provision), false, '', f.conducted_on + 180, ''
       FROM (SELECT a.id, a.conducted_on, k,
                    (ARRAY['priority', 'major', 'minor', 'minor', 'risk', 'ofi'])
                        [1 + floor(random() * 6)::int] severity,
                    CASE WHEN random() < 0.7 THEN a.conducted_on + 10 + floor(random() * 391)::int END closed_on
             FROM (SELECT id, conducted_on, floor(random() * 5)::int n FROM audits_audit
                   WHERE audit_type = 'vap_full' AND id > %(last_audit)s) a, generate_series(0, a.n - 1) k) f""",
]

FX = """INSERT INTO suppliers_fxrate (quarter, currency, rate_to_base)
        SELECT q, 'CNY', 0.14 FROM unnest(%(quarters)s::text[]) q"""

# The reported v1 indicators' values, as scoring.demo._raw_value draws them around a maturity
# in [0, 1): bool true with probability maturity; ENV-03 a CDP letter and ENV-04 an SBTi stage
# (better with maturity); change uniform in [-15, 8); percent and score gauss(maturity * 100, 15)
# clamped to [0, 100]; numbers with one decimal. g is a standard normal draw (Box–Muller).
VALUES = """
    WITH s AS MATERIALIZED (SELECT id, random() maturity FROM suppliers_supplier WHERE id > %(last_supplier)s),
         spec AS MATERIALIZED (SELECT i.id, i.code, k.kind
                               FROM unnest(%(codes)s::text[], %(kinds)s::text[]) k(code, kind)
                               JOIN scoring_indicator i ON i.code = k.code),
         draw AS MATERIALIZED (
             SELECT s.id supplier_id, s.maturity, q quarter, spec.id indicator_id, spec.code, spec.kind,
                    sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) g, random() u
             FROM s CROSS JOIN unnest(%(quarters)s::text[]) q CROSS JOIN spec
             WHERE random() >= 0.4)
    INSERT INTO scoring_indicatorvalue (supplier_id, quarter, indicator_id, value, source, evidence_ref, origin, state,
        submitted_at, submitted_by_label, review_comment)
    SELECT supplier_id, quarter, indicator_id,
           CASE WHEN kind = 'bool' THEN CASE WHEN u < maturity THEN 'true' ELSE 'false' END
                WHEN code = 'ENV-03' THEN (%(cdp)s::text[])[
                    1 + least(7, greatest(0, trunc((1 - maturity) * 8 + 1.2 * g)::int))]
                WHEN kind = 'mapping' THEN (%(sbti)s::text[])[
                    4 - least(3, greatest(0, trunc((1 - maturity) * 4 + 1.2 * g)::int))]
                WHEN kind = 'change' THEN round((-15 + 23 * u)::numeric, 1)::text
                ELSE round(least(100, greatest(0, maturity * 100 + 15 * g))::numeric, 1)::text END,
           '', '', 'import', 'accepted', now(), '', ''
    FROM draw"""

QBR = """INSERT INTO scoring_qbrcomponent (supplier_id, quarter, component, score)
         SELECT s.id, %(quarter)s, c, 50 + floor(random() * 51)
         FROM suppliers_supplier s, unnest(ARRAY['quality', 'delivery', 'cost', 'service']) c
         WHERE s.id > %(last_supplier)s"""

INVENTORIES = """
    WITH s AS MATERIALIZED (SELECT id, 10000 + floor(random() * 9990001) revenue FROM suppliers_supplier
                            WHERE id > %(last_supplier)s AND random() < 0.6)
    INSERT INTO disclosure_emissioninventory (supplier_id, year, scope1_tco2e, scope2_market_tco2e,
        scope2_location_tco2e, scope3_tco2e, revenue, revenue_currency, source, verified, state, submitted_at,
        updated_at, review_comment)
    SELECT s.id, y, floor(random() * 50001), CASE WHEN random() < 0.7 THEN floor(random() * 20001) END,
           floor(random() * 20001), CASE WHEN random() < 0.5 THEN floor(random() * 90001) END,
           s.revenue * (90 + floor(random() * 21)) / 100, 'USD', 'cdp', false, 'accepted', now(), now(), ''
    FROM s CROSS JOIN generate_series(2023, 2025) y
    WHERE random() >= 0.15"""


def generate(count: int, start: int = 0, *, values: bool = True) -> None:
    """``count`` more suppliers (codes numbered from ``start``) with their spend, sites, audits,
    findings and, with ``values``, accepted indicator values, QBR components and inventories;
    the FX rates of the four quarters with the first step (``start == 0``). PostgreSQL only."""
    from django.db import connection, transaction

    from scoring.methodology import V1

    reported = [spec for spec in V1.indicators if spec.source == "reported"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [0.7 if not start else (start % 9973) / 9973])
        cursor.execute("SELECT (SELECT coalesce(max(id), 0) FROM suppliers_supplier), "
                       "(SELECT coalesce(max(id), 0) FROM suppliers_site), "
                       "(SELECT coalesce(max(id), 0) FROM audits_audit)")
        last_supplier, last_site, last_audit = cursor.fetchone()
        params = {"count": count, "start": start, "quarters": QUARTERS, "quarter": QUARTER,
                  "last_supplier": last_supplier, "last_site": last_site, "last_audit": last_audit,
                  "codes": [spec.code for spec in reported], "kinds": [spec.normalisation for spec in reported],
                  "cdp": CDP, "sbti": SBTI}
        if not start:
            cursor.execute(FX, params)
        for statement in SUPPLIERS + ([VALUES, QBR, INVENTORIES] if values else []):
            cursor.execute(statement, params)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
