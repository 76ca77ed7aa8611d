/*{
    "ISFVSN": "2",
    "DESCRIPTION": "The artwork's decay, following the neurons lost: the face ages and loses its colour, turns greenish half way, blurs and smears more with every neuron lost, and ends in a bright white-brown bloom.",
    "CREDIT": "performer",
    "CATEGORIES": ["Stylize", "Blur", "performer"],
    "INPUTS": [
        {"NAME": "inputImage", "TYPE": "image"},
        {"NAME": "amount", "LABEL": "Amount", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 1.0},
        {"NAME": "stage", "LABEL": "Stage, at least", "TYPE": "float", "DEFAULT": 0.0, "MIN": 0.0, "MAX": 1.0},
        {"NAME": "age", "LABEL": "Ageing", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 1.0},
        {"NAME": "green", "LABEL": "Green cast", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 2.0},
        {"NAME": "blur", "LABEL": "Blur", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 2.0},
        {"NAME": "smear", "LABEL": "Smear", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 1.0},
        {"NAME": "bloom", "LABEL": "Bloom", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 2.0}
    ],
    "PASSES": [
        {"TARGET": "blurX", "WIDTH": "floor($WIDTH/8.0)", "HEIGHT": "floor($HEIGHT/8.0)"},
        {"TARGET": "blurred", "WIDTH": "floor($WIDTH/8.0)", "HEIGHT": "floor($HEIGHT/8.0)"},
        {}
    ]
}*/

// performer sets this (see the README's Effects section); other ISF hosts leave it at 0,
// where the "stage" knob alone drives the look. The picture depends on the frame alone (no
// TIME, no persistent buffer), so a replayed show draws the very pixels the live one did.
uniform float performer_lost;  // fraction of the network's neurons switched off

const vec3 LUMA = vec3(0.299, 0.587, 0.114);
const vec3 WHITE_BROWN = vec3(0.95, 0.86, 0.72);

float progress() {
    return clamp(max(performer_lost, stage), 0.0, 1.0) * amount;
}

// 9 taps of a Gaussian along `direction`, `step` pixels apart (of the eighth-size pass).
vec3 gauss9(vec2 uv, vec2 direction, float step) {
    const float weights[5] = float[5](0.2270, 0.1946, 0.1216, 0.0541, 0.0162);
    vec3 sum = IMG_NORM_PIXEL(inputImage, uv).rgb * weights[0];
    for (int k = 1; k < 5; k++) {
        vec2 offset = direction * step * float(k) / RENDERSIZE;
        sum += IMG_NORM_PIXEL(inputImage, uv + offset).rgb * weights[k];
        sum += IMG_NORM_PIXEL(inputImage, uv - offset).rgb * weights[k];
    }
    return sum;
}

vec3 gauss9y(vec2 uv, float step) {
    const float weights[5] = float[5](0.2270, 0.1946, 0.1216, 0.0541, 0.0162);
    vec3 sum = IMG_NORM_PIXEL(blurX, uv).rgb * weights[0];
    for (int k = 1; k < 5; k++) {
        vec2 offset = vec2(0.0, step * float(k)) / RENDERSIZE;
        sum += IMG_NORM_PIXEL(blurX, uv + offset).rgb * weights[k];
        sum += IMG_NORM_PIXEL(blurX, uv - offset).rgb * weights[k];
    }
    return sum;
}

void main() {
    vec2 uv = isf_FragNormCoord;
    float t = progress();
    float step = 0.4 + 1.6 * t * blur;  // eighth-size pixels between taps
    if (PASSINDEX == 0) {
        gl_FragColor = vec4(gauss9(uv, vec2(1.0, 0.0), step), 1.0);
        return;
    }
    if (PASSINDEX == 1) {
        gl_FragColor = vec4(gauss9y(uv, step), 1.0);
        return;
    }
    vec3 sharp = IMG_THIS_PIXEL(inputImage).rgb;
    vec3 soft = IMG_NORM_PIXEL(blurred, uv).rgb;
    vec3 color = mix(sharp, soft, clamp(t * 1.6 * blur, 0.0, 1.0));

    // Smear: the blurred picture dragged downwards, like paint running, more as neurons go.
    vec3 drip = vec3(0.0);
    for (int k = 1; k <= 4; k++) {
        drip += IMG_NORM_PIXEL(blurred, uv + vec2(0.0, 0.012 * float(k) * t)).rgb;
    }
    color = mix(color, drip / 4.0, smear * 0.45 * smoothstep(0.15, 0.9, t));

    // Ageing first: the colour drains into a faded, warm print.
    float luma = dot(color, LUMA);
    vec3 sepia = luma * vec3(1.08, 0.97, 0.80);
    float ageing = smoothstep(0.0, 0.45, t) * age;
    color = mix(color, mix(vec3(luma), sepia, 0.6), 0.8 * ageing);
    color = mix(color, 0.04 + 0.85 * color, ageing);  // a faded print: no deep black, no white

    // Half way, a greenish cast (strongest at t = 0.5, gone at both ends).
    float greening = clamp(green * exp(-pow((t - 0.5) / 0.18, 2.0)), 0.0, 1.5);
    vec3 greenish = vec3(0.80, 1.12, 0.66) * luma;
    color = mix(color, greenish, 0.7 * min(greening, 1.0)) + vec3(-0.02, 0.03, -0.02) * max(greening - 1.0, 0.0);

    // The end: a bright white-brown bloom that swallows the face.
    float glow = bloom * smoothstep(0.68, 1.0, t);
    vec3 blob = WHITE_BROWN * clamp(0.25 + 2.0 * dot(soft, LUMA), 0.0, 1.05);
    color = mix(color, blob, clamp(0.9 * glow, 0.0, 1.0)) + 0.15 * glow * soft;

    gl_FragColor = vec4(clamp(color, 0.0, 1.0), 1.0);
}
