-- metrics.roll_days reached every fact of the schema: the planner cannot push
-- a join's keys into the branches of metrics.observations (a UNION ALL), so it
-- rolled up a batch's few dirty days by scanning all appointments, visits and
-- walk-ins (2 s a batch on 300,000 appointments; the consumer fell to a few
-- hundred events a second, and would have stopped keeping up on a large
-- site). The keys now go in as a LATERAL subquery's filter, which reaches
-- each branch's index (site, desk, day): a batch costs what its days hold.
-- OFFSET 0 keeps the subquery from being flattened back into a join.
CREATE OR REPLACE FUNCTION metrics.roll_days(p_sites bigint[], p_desks bigint[], p_dates date[])
RETURNS void LANGUAGE sql AS $$
  DELETE FROM metrics.day_measures d
  USING unnest(p_sites, p_desks, p_dates) AS k(site_id, desk_id, local_date)
  WHERE d.site_id = k.site_id AND d.desk_id = k.desk_id AND d.local_date = k.local_date;
  INSERT INTO metrics.day_measures (site_id, desk_id, local_date, measure, count, sum, histogram)
  SELECT site_id, desk_id, local_date, measure, sum(n), sum(s),
         metrics.histogram(array_agg(bucket), array_agg(n), size)
  FROM (SELECT o.site_id, o.desk_id, o.local_date, o.measure,
               width_bucket(o.value, m.bounds) AS bucket, cardinality(m.bounds) + 1 AS size,
               count(*) AS n, sum(o.value) AS s
        FROM (SELECT DISTINCT * FROM unnest(p_sites, p_desks, p_dates)) AS k(site_id, desk_id,
                                                                            local_date)
        CROSS JOIN LATERAL (
          SELECT * FROM metrics.observations x
          WHERE x.site_id = k.site_id AND x.desk_id = k.desk_id AND x.local_date = k.local_date
          OFFSET 0) o
        JOIN metrics.measures m ON m.measure = o.measure
        GROUP BY 1, 2, 3, 4, 5, 6) b
  GROUP BY site_id, desk_id, local_date, measure, size;
$$;
