/**
 * Axis and legend labels in ROOT's TLatex syntax. The histograms carry matplotlib mathtext
 * (`$\mathrm{m_{4l}}$`, the notebook's labels); a ROOT file must carry what ROOT draws
 * (`m_{4l}`), since TLatex shows `$` and backslashes literally.
 */

/** mathtext → TLatex: `$…$` dropped, `\mathrm{x}`/`\mathit{x}`/`\text{x}` → `x`, `\cmd` → `#cmd`, `_x` → `_{x}`. */
export function toTLatex(label: string): string {
  return label.replace(/\$([^$]*)\$/g, (_, math: string) => {
    let s = math;
    // Font switches nest (\mathrm{m_{4l}}): unwrap from the inside out, boundedly.
    for (let i = 0; i < 8 && /\\(?:mathrm|mathit|mathbf|text|rm)\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/.test(s); i++) {
      s = s.replace(/\\(?:mathrm|mathit|mathbf|text|rm)\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g, '$1');
    }
    return s
      .replace(/\\([A-Za-z]+)/g, '#$1')          // \bar, \alpha, \gamma → #bar, #alpha, #gamma
      .replace(/([_^])([^{\s])/g, '$1{$2}');      // p_T → p_{T}
  });
}
