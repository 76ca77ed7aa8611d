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

// 9 taps of a Gaussian, `d` apart (normalised), written out: constant arrays indexed in a
// loop are slow on CPU rasterisers.
vec3 blurInput(vec2 uv, vec2 d) {
    return IMG_NORM_PIXEL(inputImage, uv).rgb * 0.2270
        + (IMG_NORM_PIXEL(inputImage, uv + d).rgb + IMG_NORM_PIXEL(inputImage, uv - d).rgb) * 0.1946
        + (IMG_NORM_PIXEL(inputImage, uv + 2.0 * d).rgb + IMG_NORM_PIXEL(inputImage, uv - 2.0 * d).rgb) * 0.1216
        + (IMG_NORM_PIXEL(inputImage, uv + 3.0 * d).rgb + IMG_NORM_PIXEL(inputImage, uv - 3.0 * d).rgb) * 0.0541
        + (IMG_NORM_PIXEL(inputImage, uv + 4.0 * d).rgb + IMG_NORM_PIXEL(inputImage, uv - 4.0 * d).rgb) * 0.0162;
}

vec3 blurRows(vec2 uv, vec2 d) {
    return IMG_NORM_PIXEL(blurX, uv).rgb * 0.2270
        + (IMG_NORM_PIXEL(blurX, uv + d).rgb + IMG_NORM_PIXEL(blurX, uv - d).rgb) * 0.1946
        + (IMG_NORM_PIXEL(blurX, uv + 2.0 * d).rgb + IMG_NORM_PIXEL(blurX, uv - 2.0 * d).rgb) * 0.1216
        + (IMG_NORM_PIXEL(blurX, uv + 3.0 * d).rgb + IMG_NORM_PIXEL(blurX, uv - 3.0 * d).rgb) * 0.0541
        + (IMG_NORM_PIXEL(blurX, uv + 4.0 * d).rgb + IMG_NORM_PIXEL(blurX, uv - 4.0 * d).rgb) * 0.0162;
}

void main() {
    vec2 uv = isf_FragNormCoord;
    float t = progress();
    float step = 0.4 + 1.6 * t * blur;  // eighth-size pixels between taps
    if (PASSINDEX == 0) {
        gl_FragColor = vec4(blurInput(uv, vec2(step, 0.0) / RENDERSIZE), 1.0);
        return;
    }
    if (PASSINDEX == 1) {
        gl_FragColor = vec4(blurRows(uv, vec2(0.0, step) / RENDERSIZE), 1.0);
        return;
    }
    vec3 sharp = IMG_THIS_PIXEL(inputImage).rgb;
    vec3 soft = IMG_NORM_PIXEL(blurred, uv).rgb;
    vec3 color = mix(sharp, soft, clamp(t * 1.6 * blur, 0.0, 1.0));

    // Smear: the blurred picture dragged downwards, like paint running, more as neurons go.
    vec2 run = vec2(0.0, 0.012 * t);
    vec3 drip = IMG_NORM_PIXEL(blurred, uv + run).rgb + IMG_NORM_PIXEL(blurred, uv + 2.0 * run).rgb
        + IMG_NORM_PIXEL(blurred, uv + 3.0 * run).rgb + IMG_NORM_PIXEL(blurred, uv + 4.0 * run).rgb;
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
