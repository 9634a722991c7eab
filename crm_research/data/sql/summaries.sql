-- Transaction summaries: ONE definition, run unchanged by DuckDB (>= 1.1) and Spark SQL (>= 3.5).
--
-- Only the SQL subset both engines share is used (CAST / TRY_CAST, min_by, window SUM, FLOOR,
-- year()/month()/quarter(), unix_date()). unix_date(d) = days since 1970-01-01 is built into
-- Spark; crm_research.data.sql defines it for DuckDB as a one-line macro. Nothing else differs.
--
-- crm_research.data.sql reads this file: each block starts with "-- name: NAME" and is one
-- SELECT. Blocks refer to each other by name (composed with WITH). {placeholders} are filled by
-- Python with integers, floats or the engine's view names only -- never with user text.
-- Definitions are those of crm_research.data.transactions (Fader, Hardie & Lee 2005; BTYD's
-- dc.ElogToCbsCbt): an occasion = a customer's calendar day; frequency = occasions - 1;
-- recency = (last day - first day) / unit; T = (end - first day) / unit; monetary = mean value
-- of the repeat occasions (first occasion excluded).

-- name: txn
-- One row per transaction: customer, calendar day, its day number and the value.
SELECT customer_id, date_raw, d, unix_date(d) AS dnum, amount
FROM (SELECT customer_id, date_raw,
             CAST(TRY_CAST(date_raw AS TIMESTAMP) AS DATE) AS d,
             TRY_CAST(value_raw AS DOUBLE) AS amount
      FROM {source}) AS s

-- name: checks
-- Everything the summary must refuse or report, in one scan.
SELECT COUNT(*) AS n_rows,
       SUM(CASE WHEN customer_id IS NULL THEN 1 ELSE 0 END) AS missing_id,
       SUM(CASE WHEN dnum IS NULL THEN 1 ELSE 0 END) AS bad_date,
       MIN(CASE WHEN dnum IS NULL THEN CAST(date_raw AS STRING) END) AS bad_date_example,
       SUM(CASE WHEN amount IS NULL
                  OR NOT (amount BETWEEN -1.7976931348623157e308 AND 1.7976931348623157e308)
                THEN 1 ELSE 0 END) AS bad_value,
       SUM(CASE WHEN amount < 0 THEN 1 ELSE 0 END) AS negative_value,
       SUM(CASE WHEN amount <= 0 THEN 1 ELSE 0 END) AS nonpositive_value,
       MIN(amount) AS min_value,
       MIN(dnum) AS first_dnum,
       MAX(dnum) AS last_dnum
FROM {txn}

-- name: day_counts
-- Rows per calendar day (the late-date rule of dates.late_dates runs on this small table).
SELECT dnum, COUNT(*) AS n_rows
FROM {txn}
WHERE dnum IS NOT NULL
GROUP BY dnum

-- name: overview
-- The cleaning table of a log read from files (transactions.prepare_log): rows, customers and
-- value before and after dropping rows without a customer id or with a missing/negative value;
-- exact duplicate rows (same customer, date and value) are counted, not dropped.
SELECT COUNT(*) AS n_rows, COUNT(DISTINCT customer_id) AS n_customers, SUM(amount) AS total,
       SUM(CASE WHEN customer_id IS NOT NULL AND amount >= 0 THEN 1 ELSE 0 END) AS n_kept,
       COUNT(DISTINCT CASE WHEN amount >= 0 THEN customer_id END) AS customers_kept,
       SUM(CASE WHEN customer_id IS NOT NULL AND amount >= 0 THEN amount END) AS total_kept,
       SUM(CASE WHEN amount = 0 THEN 1 ELSE 0 END) AS zero_value,
       COUNT(*) - (SELECT COUNT(*) FROM (SELECT DISTINCT customer_id, date_raw, amount
                                         FROM {txn}) AS u) AS duplicate_rows
FROM {txn}

-- name: occasions
-- A purchase occasion = (customer, calendar day); same-day values are summed.
SELECT customer_id, dnum, SUM(amount) AS v
FROM {txn}
WHERE dnum <= {end}
GROUP BY customer_id, dnum

-- name: calibration
-- Per customer, occasions up to the calibration end (= observation end without a split).
SELECT customer_id,
       COUNT(*) - 1 AS frequency,
       MIN(dnum) AS first_dnum,
       MAX(dnum) AS last_dnum,
       SUM(v) AS total_value,
       min_by(v, dnum) AS v_first
FROM occasions
WHERE dnum <= {cal}
GROUP BY customer_id

-- name: holdout
-- Per customer, occasions in (calibration end, observation end]: all are repeat occasions.
SELECT customer_id, COUNT(*) AS n_holdout, SUM(v) AS v_holdout
FROM occasions
WHERE dnum > {cal}
GROUP BY customer_id

-- name: summary
-- The per-customer summary (transactions.summarize_transactions), calibration cohort only.
SELECT c.customer_id,
       c.frequency,
       CAST(c.last_dnum - c.first_dnum AS DOUBLE) / CAST({unit} AS DOUBLE) AS recency,
       CAST({cal} - c.first_dnum AS DOUBLE) / CAST({unit} AS DOUBLE) AS T,
       (c.total_value - c.v_first) / CAST(NULLIF(c.frequency, 0) AS DOUBLE) AS monetary,
       c.total_value,
       c.first_dnum,
       c.last_dnum,
       COALESCE(h.n_holdout, 0) AS frequency_holdout,
       h.v_holdout / CAST(h.n_holdout AS DOUBLE) AS monetary_holdout
FROM calibration AS c
LEFT JOIN holdout AS h ON c.customer_id = h.customer_id
ORDER BY c.customer_id

-- name: collapsed
-- The (x, t_x, T) rows the purchase models are fitted on, with the customers each stands for
-- (clv.core.collapse_rows: same rows, same order, same counts).
SELECT frequency AS x,
       CAST(span AS DOUBLE) / CAST({unit} AS DOUBLE) AS t_x,
       CAST(age AS DOUBLE) / CAST({unit} AS DOUBLE) AS T,
       n_customers
FROM (SELECT frequency, last_dnum - first_dnum AS span, {cal} - first_dnum AS age,
             COUNT(*) AS n_customers
      FROM calibration
      GROUP BY frequency, last_dnum - first_dnum, {cal} - first_dnum) AS g
ORDER BY x, t_x, T

-- name: rfm_base
SELECT customer_id, {cal} - last_dnum AS recency_days, frequency + 1 AS n_occasions,
       total_value
FROM calibration

-- name: rfm_n
SELECT COUNT(*) AS n FROM rfm_base

-- name: rfm_r
-- Quintile scores from ranks with ties at the lowest rank (clv.rfm.quintile_score):
-- rank_min - 1 = customers strictly worse, counted over distinct values (no global sort).
SELECT k, SUM(c) OVER (ORDER BY k DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - c
          AS worse
FROM (SELECT recency_days AS k, COUNT(*) AS c FROM rfm_base GROUP BY recency_days) AS t

-- name: rfm_f
SELECT k, SUM(c) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - c AS worse
FROM (SELECT n_occasions AS k, COUNT(*) AS c FROM rfm_base GROUP BY n_occasions) AS t

-- name: rfm_m
SELECT k, SUM(c) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - c AS worse
FROM (SELECT total_value AS k, COUNT(*) AS c FROM rfm_base GROUP BY total_value) AS t

-- name: rfm
SELECT b.customer_id, b.recency_days, b.n_occasions AS frequency, b.total_value AS monetary,
       1 + CAST(FLOOR(CAST(5 * r.worse AS DOUBLE) / CAST(n.n AS DOUBLE)) AS INT) AS R,
       1 + CAST(FLOOR(CAST(5 * f.worse AS DOUBLE) / CAST(n.n AS DOUBLE)) AS INT) AS F,
       1 + CAST(FLOOR(CAST(5 * m.worse AS DOUBLE) / CAST(n.n AS DOUBLE)) AS INT) AS M
FROM rfm_base AS b
CROSS JOIN rfm_n AS n
JOIN rfm_r AS r ON b.recency_days = r.k
JOIN rfm_f AS f ON b.n_occasions = f.k
JOIN rfm_m AS m ON b.total_value = m.k
ORDER BY b.customer_id

-- name: periods
-- Calendar period of each transaction: {period} is one of the period expressions below.
SELECT DISTINCT customer_id, {period} AS per FROM {txn}

-- name: cohorts
SELECT customer_id, MIN(per) AS cohort FROM periods GROUP BY customer_id

-- name: cohort_counts
-- Customers of each first-purchase period active k periods later (clv.rfm.cohort_retention).
SELECT c.cohort, p.per - c.cohort AS k, COUNT(*) AS n
FROM periods AS p JOIN cohorts AS c ON p.customer_id = c.customer_id
GROUP BY c.cohort, p.per - c.cohort

-- name: day_occasions
SELECT customer_id, dnum FROM {txn} GROUP BY customer_id, dnum

-- name: day_first
SELECT customer_id, MIN(dnum) AS d0 FROM day_occasions GROUP BY customer_id
HAVING MIN(dnum) <= {cal}

-- name: repeat_by_day
-- Repeat occasions per day of the customers whose first purchase is on or before {cal}.
SELECT o.dnum, COUNT(*) AS n
FROM day_occasions AS o JOIN day_first AS f ON o.customer_id = f.customer_id
WHERE o.dnum > f.d0
GROUP BY o.dnum
ORDER BY o.dnum

-- name: period_M
year(d) * 12 + month(d) - 1

-- name: period_Q
year(d) * 4 + quarter(d) - 1

-- name: period_W
CAST(FLOOR(CAST(dnum + 3 AS DOUBLE) / 7) AS BIGINT)
