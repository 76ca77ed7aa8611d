#version 330
// One triangle that covers the whole viewport, drawn with 3 vertices and no vertex buffer.
// v_uv runs 0..1 across the viewport (1..2 beyond it, clipped away).

out vec2 v_uv;

void main() {
    vec2 p = vec2(float((gl_VertexID & 1) << 2), float((gl_VertexID & 2) << 1)) - 1.0;
    v_uv = p * 0.5 + 0.5;
    gl_Position = vec4(p, 0.0, 1.0);
}
