-- The site's months, summed over its desks, kept beside the desks' months:
-- the report of a whole site read the desks' month rows and summed them
-- (40 desks x 12 months x 17 measures: 8,000 histograms) on every call, over
-- the report's target of 20 ms. metrics.roll_months now rolls the months of
-- the sites it touched again from their desks' months, in the same
-- transaction; the backfill empties this table with the others
-- (services/metrics/backfill.cc) and fills it through the same functions.
CREATE TABLE metrics.site_month_measures (
  site_id    bigint NOT NULL,
  month      date NOT NULL CHECK (extract(day FROM month) = 1),
  measure    text NOT NULL REFERENCES metrics.measures,
  count      bigint NOT NULL CHECK (count > 0),
  sum        numeric NOT NULL,
  histogram  bigint[] NOT NULL,
  PRIMARY KEY (site_id, month, measure)
);

-- metrics.roll_site_months: the given (site, month) pairs again from the
-- desks' months.
CREATE FUNCTION metrics.roll_site_months(p_sites bigint[], p_months date[])
RETURNS void LANGUAGE sql AS $$
  DELETE FROM metrics.site_month_measures s
  USING unnest(p_sites, p_months) AS k(site_id, month)
  WHERE s.site_id = k.site_id AND s.month = k.month;
  INSERT INTO metrics.site_month_measures (site_id, month, measure, count, sum, histogram)
  SELECT m.site_id, m.month, m.measure, sum(m.count), sum(m.sum),
         metrics.sum_histograms(m.histogram)
  FROM (SELECT DISTINCT * FROM unnest(p_sites, p_months)) AS k(site_id, month)
  JOIN metrics.month_measures m ON m.site_id = k.site_id AND m.month = k.month
  GROUP BY m.site_id, m.month, m.measure;
$$;

CREATE OR REPLACE FUNCTION metrics.roll_months(p_sites bigint[], p_desks bigint[], p_dates date[])
RETURNS void LANGUAGE sql AS $$
  DELETE FROM metrics.month_measures mm
  USING unnest(p_sites, p_desks, p_dates) AS k(site_id, desk_id, local_date)
  WHERE mm.site_id = k.site_id AND mm.desk_id = k.desk_id
    AND mm.month = date_trunc('month', k.local_date)::date;
  INSERT INTO metrics.month_measures (site_id, desk_id, month, measure, count, sum, histogram)
  SELECT d.site_id, d.desk_id, k.month, d.measure, sum(d.count), sum(d.sum),
         metrics.sum_histograms(d.histogram)
  FROM (SELECT DISTINCT site_id, desk_id, date_trunc('month', local_date)::date AS month
        FROM unnest(p_sites, p_desks, p_dates) AS u(site_id, desk_id, local_date)) k
  JOIN metrics.day_measures d
    ON d.site_id = k.site_id AND d.desk_id = k.desk_id
   AND d.local_date >= k.month AND d.local_date < k.month + interval '1 month'
  GROUP BY d.site_id, d.desk_id, k.month, d.measure;
  SELECT metrics.roll_site_months(array_agg(site_id), array_agg(month))
  FROM (SELECT DISTINCT site_id, date_trunc('month', local_date)::date AS month
        FROM unnest(p_sites, p_dates) AS u(site_id, local_date)) k;
$$;

INSERT INTO metrics.site_month_measures (site_id, month, measure, count, sum, histogram)
SELECT site_id, month, measure, sum(count), sum(sum), metrics.sum_histograms(histogram)
FROM metrics.month_measures GROUP BY site_id, month, measure;
