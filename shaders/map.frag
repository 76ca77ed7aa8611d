#version 330
// The neural memory map: one cell per neuron, lit when alive, dark when dead. Each layer
// starts a new block of rows after a one-row gap, and alternate layers have different tints.
// The grid layout is computed once on the CPU (performer.render.pipeline.grid_layout); per
// frame only u_alive changes.

#include "common.glsl"

uniform sampler2D u_alive;    // R8, one texel per cell, texel row 0 = top grid row; > 0 alive
uniform sampler2D u_tint;     // R8, per cell: 0 = no neuron (gap, padding), k = tint k (1..4)
uniform ivec2 u_grid;         // columns, rows
uniform float u_cell;         // cell edge in pixels
uniform vec2 u_grid_origin;   // grid's top-left corner: x, and y of the top edge (GL pixels)
uniform float u_opacity;      // alpha of the cells
uniform float u_panel_alpha;  // alpha of the background: 1 beside the face, 0 as an overlay

out vec4 f_color;

const vec3 TINTS[4] = vec3[4](
    vec3(1.00, 0.82, 0.50),
    vec3(0.50, 0.82, 1.00),
    vec3(0.70, 1.00, 0.55),
    vec3(1.00, 0.55, 0.78)
);
const vec3 BACKGROUND = vec3(0.02);
const float DEAD = 0.10;  // brightness of a dead cell relative to a live one

void main() {
    vec2 p = vec2(gl_FragCoord.x - u_grid_origin.x, u_grid_origin.y - gl_FragCoord.y) / u_cell;
    ivec2 cell = ivec2(floor(p));
    vec4 background = vec4(BACKGROUND, u_panel_alpha);
    if (any(lessThan(p, vec2(0.0))) || any(greaterThanEqual(cell, u_grid))) {
        f_color = background;
        return;
    }
    int tint = int(texelFetch(u_tint, cell, 0).r * 255.0 + 0.5);
    vec2 inner = fract(p) * u_cell;  // pixels from the cell's top-left corner
    bool gutter = u_cell >= 3.0 && (inner.x >= u_cell - 1.0 || inner.y >= u_cell - 1.0);
    if (tint == 0 || gutter) {
        f_color = background;
        return;
    }
    bool alive = texelFetch(u_alive, cell, 0).r > 0.0;
    vec3 color = TINTS[(tint - 1) % 4] * (alive ? 1.0 : DEAD);
    f_color = vec4(color, u_opacity);
}
