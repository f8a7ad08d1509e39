using System.Text;
using System.Text.Json;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace MasterMcp.Observability;

/// <summary>
/// The seed's <c>FEATURE_METRICS_JSON=1</c>: a second pull reader on the same meter provider, so <c>/metrics</c> can answer
/// the same cumulative metrics as JSON (<c>Accept: application/json</c> or <c>?format=json</c>).
/// </summary>
public sealed class JsonMetricsReader : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Capture _capture = new();

    /// <summary>A reader that collects only when asked.</summary>
    public JsonMetricsReader() =>
        Reader = new BaseExportingMetricReader(_capture) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative };

    /// <summary>The reader registered with the meter provider.</summary>
    public MetricReader Reader { get; }

    /// <summary>Collects now and renders every metric point as JSON; null when the reader is not attached.</summary>
    public string? Collect(string instanceId)
    {
        lock (_gate)
        {
            _capture.InstanceId = instanceId;
            _capture.Json = null;
            return Reader.Collect() ? _capture.Json : null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => Reader.Dispose();

    private sealed class Capture : BaseExporter<Metric>
    {
        public string InstanceId { get; set; } = "";

        public string? Json { get; set; }

        public override ExportResult Export(in Batch<Metric> batch)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("service_instance_id", InstanceId);
                json.WriteStartArray("metrics");
                foreach (var metric in batch)
                {
                    json.WriteStartObject();
                    json.WriteString("name", metric.Name);
                    json.WriteString("unit", metric.Unit);
                    json.WriteString("type", metric.MetricType.ToString());
                    json.WriteString("scope", metric.MeterName);
                    json.WriteStartArray("points");
                    foreach (ref readonly var point in metric.GetMetricPoints())
                    {
                        json.WriteStartObject();
                        json.WriteStartObject("attributes");
                        foreach (var tag in point.Tags)
                        {
                            json.WriteString(tag.Key, Convert.ToString(tag.Value, System.Globalization.CultureInfo.InvariantCulture));
                        }
                        json.WriteEndObject();
                        WriteValue(json, metric.MetricType, point);
                        json.WriteEndObject();
                    }
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            Json = Encoding.UTF8.GetString(buffer.ToArray());
            return ExportResult.Success;
        }

        private static void WriteValue(Utf8JsonWriter json, MetricType type, in MetricPoint point)
        {
            switch (type)
            {
                case MetricType.LongSum or MetricType.LongSumNonMonotonic:
                    json.WriteNumber("value", point.GetSumLong());
                    break;
                case MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic:
                    json.WriteNumber("value", point.GetSumDouble());
                    break;
                case MetricType.LongGauge:
                    json.WriteNumber("value", point.GetGaugeLastValueLong());
                    break;
                case MetricType.DoubleGauge:
                    json.WriteNumber("value", point.GetGaugeLastValueDouble());
                    break;
                case MetricType.Histogram or MetricType.ExponentialHistogram:
                    json.WriteNumber("count", point.GetHistogramCount());
                    json.WriteNumber("sum", point.GetHistogramSum());
                    break;
            }
        }
    }
}
