"""What serving does to a batch before and after forecasting, one class a file, applied in a fixed order.

- input: ``clean_days.CleanDays`` (anomalous days replaced in what the network sees);
- network output: ``median3.Median3Blend`` (the median moved toward the 3-week median);
- band: ``band.BandCalibration`` (p10/p90 scaled to hold 80% of the backtest week);
- output: ``persistent_level.PersistentLevel`` (day totals follow a departure that lasts).
"""
