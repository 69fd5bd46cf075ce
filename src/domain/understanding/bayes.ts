/**
 * A multinomial naive Bayes classifier over sets of string features, trained
 * in one pass, optionally in its complement form (Rennie et al., 2003). Small
 * and fast enough to train when a town's data is imported and to score on
 * every message (a few microseconds); features never seen in training carry
 * no weight either way.
 */
export class NaiveBayes<Label extends string> {
  private readonly logPrior: Float64Array;
  /** Per feature, its log-likelihood under each label, in the order of `labels`. */
  private readonly logLikelihood = new Map<string, Float64Array>();

  /**
   * @param documents labelled feature lists; a feature listed twice counts twice
   * @param options.smoothing additive (Lidstone) smoothing; smaller trusts rare features more
   * @param options.complement learn each label from the documents of all the other labels (complement naive
   * Bayes): fair to labels with few documents, such as a town's own categories beside well-labelled ones
   */
  constructor(
    documents: readonly { label: Label; features: readonly string[] }[],
    readonly labels: readonly Label[],
    { smoothing, complement }: { smoothing: number; complement: boolean },
  ) {
    const indexOf = new Map(labels.map((label, i) => [label, i]));
    const counts = new Map<string, Float64Array>();
    const documentsPer = new Float64Array(labels.length);
    const totals = new Float64Array(labels.length);
    for (const { label, features } of documents) {
      const c = indexOf.get(label);
      if (c === undefined) continue;
      documentsPer[c]!++;
      for (const feature of features) {
        let row = counts.get(feature);
        if (!row) counts.set(feature, (row = new Float64Array(labels.length)));
        row[c]!++;
        totals[c]!++;
      }
    }
    if (complement) {
      // A label's score is how unlike the other labels' documents the message is; priors would undo the fairness.
      this.logPrior = new Float64Array(labels.length);
      const all = totals.reduce((sum, n) => sum + n, 0);
      const denominators = Float64Array.from(totals, (total) => all - total + smoothing * counts.size);
      const featureTotals = new Map([...counts].map(([feature, row]) => [feature, row.reduce((sum, n) => sum + n, 0)]));
      for (const [feature, row] of counts) {
        this.logLikelihood.set(
          feature,
          Float64Array.from(row, (n, c) => -Math.log((featureTotals.get(feature)! - n + smoothing) / denominators[c]!)),
        );
      }
      return;
    }
    // Every label keeps a little prior mass, so one without examples can still win on strong evidence.
    this.logPrior = Float64Array.from(documentsPer, (n) => Math.log((n + 1) / (documents.length + labels.length)));
    const denominators = Float64Array.from(totals, (total) => total + smoothing * counts.size);
    for (const [feature, row] of counts) {
      this.logLikelihood.set(
        feature,
        Float64Array.from(row, (n, c) => Math.log((n + smoothing) / denominators[c]!)),
      );
    }
  }

  /** Log-probability (unnormalised) of each label given the features; features never seen in training are skipped. */
  scores(features: readonly string[]): Map<Label, number> {
    const totals = Float64Array.from(this.logPrior);
    const width = totals.length;
    for (const feature of features) {
      const row = this.logLikelihood.get(feature);
      if (row) for (let c = 0; c < width; c++) totals[c]! += row[c]!;
    }
    const out = new Map<Label, number>();
    for (let c = 0; c < width; c++) out.set(this.labels[c]!, totals[c]!);
    return out;
  }
}

/**
 * Scores turned into probabilities that sum to one, most likely first.
 * Naive Bayes counts every feature as independent evidence, so its raw
 * probabilities are near 0 or 1; `scale` below one tempers them into a
 * confidence that can tell a clear message from a doubtful one.
 */
export function ranked<Label extends string>(scores: Map<Label, number>, scale = 1): { label: Label; probability: number }[] {
  const max = Math.max(...scores.values());
  const exp = [...scores].map(([label, score]) => ({ label, weight: Math.exp((score - max) * scale) }));
  const sum = exp.reduce((total, entry) => total + entry.weight, 0);
  return exp.map(({ label, weight }) => ({ label, probability: weight / sum })).sort((a, b) => b.probability - a.probability);
}
