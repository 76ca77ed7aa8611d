#version 330
// The effect chain's mix: an effect's output over its input, weighted by fx.N.mix. With
// u_mix = 1 it is a plain copy (how the chain's last picture reaches the framebuffer).

uniform sampler2D u_input;   // what went into the effect
uniform sampler2D u_effect;  // what came out
uniform float u_mix;         // 0 = input, 1 = effect

in vec2 v_uv;
out vec4 f_color;

void main() {
    vec3 before = texture(u_input, v_uv).rgb;
    vec3 after = texture(u_effect, v_uv).rgb;
    f_color = vec4(mix(before, after, u_mix), 1.0);
}
