export function render(el) {}
