/**
 * @module views/openmetrics
 * Every source's stats files as Prometheus text format 0.0.4 and OpenMetrics 1.0.0: names
 * `<provider>_<target>_<stat>` in base units, exact values, identity labels, KVM histograms as
 * exact cumulative histograms. Pure: no I/O (the HTTP exporter is views/http).
 */
export { decimalText, formatterFor, scaledText } from "./decimal.js";
export { baseUnitName, escapeLabelValue, familyName, labelName, sanitizeName } from "./names.js";
export { acceptsGzip, negotiateFormat } from "./negotiate.js";
export { buildPlan, type Family, leBounds, type MetricType, type PlanOptions } from "./plan.js";
export { CONTENT_TYPES, Exposition, type ExpositionFormat, renderExposition, renderFamilies } from "./render.js";
export { type Exposed, selectExposed } from "./select.js";
