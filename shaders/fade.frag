#version 330
// Blackout: drawn over everything with blending (src alpha, 1 - src alpha), so the picture
// underneath is scaled by 1 - u_alpha.

uniform float u_alpha;  // 0 = no change, 1 = black

out vec4 f_color;

void main() {
    f_color = vec4(0.0, 0.0, 0.0, u_alpha);
}
